"""Tests for rsl_sim.storage.RolloutStorage: buffers, dtypes, and the three batch generators."""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.storage import RolloutStorage
from rsl_sim.utils import split_and_pad_trajectories, unpad_trajectories

T, N, A = 6, 5, 2


def _obs(ids: torch.Tensor) -> TensorDict:
    """Observations that encode a sample id: float group [N, 3] and uint8 image group [N, 1, 2, 2]."""
    policy = torch.stack([ids, ids + 0.5, -ids], dim=-1).float()
    camera = (ids % 251).to(torch.uint8).view(-1, 1, 1, 1).expand(-1, 1, 2, 2).clone()
    return TensorDict({"policy": policy, "camera": camera}, batch_size=[ids.shape[0]])


def _sample_ids(t: int) -> torch.Tensor:
    """Id of sample (t, n) is t * N + n, the index it gets when time and env dims are flattened."""
    return torch.arange(N) + t * N


def _fill(storage: RolloutStorage, dones: torch.Tensor | None = None, hidden: str | None = None) -> dict:
    """Add T transitions whose every field encodes the sample id; returns the hidden states given per step."""
    transition = RolloutStorage.Transition()
    given = {"actor": [], "critic": []}
    for t in range(T):
        ids = _sample_ids(t).float()
        transition.observations = _obs(ids)
        transition.actions = ids.unsqueeze(-1).repeat(1, A)
        transition.rewards = ids * 10
        transition.dones = dones[t] if dones is not None else torch.zeros(N, dtype=torch.long)
        if storage.training_type == "rl":
            transition.values = (ids * 2).unsqueeze(-1)
            transition.actions_log_prob = ids * 3
            transition.distribution_params = (ids.unsqueeze(-1).repeat(1, A), -ids.unsqueeze(-1).repeat(1, A), ids)
        else:
            transition.privileged_actions = -ids.unsqueeze(-1).repeat(1, A)
        if hidden == "gru":
            actor = torch.randn(2, N, 4)
            critic = (torch.randn(1, N, 3), torch.randn(1, N, 3))  # LSTM
            transition.hidden_states = (actor, critic)
            given["actor"].append(actor)
            given["critic"].append(critic)
        storage.add_transition(transition)
        transition.clear()
    if storage.training_type == "rl":
        flat = torch.arange(T * N, dtype=torch.float32).view(T, N, 1)
        storage.returns.copy_(flat * 4)
        storage.advantages.copy_(flat * 5)
    return given


def _rl_storage() -> RolloutStorage:
    return RolloutStorage("rl", N, T, _obs(torch.arange(N).float()), [A])


def test_constructor_errors():
    obs = _obs(torch.arange(N).float())
    with pytest.raises(ValueError, match="training_type"):
        RolloutStorage("ppo", N, T, obs, [A])
    with pytest.raises(ValueError, match="batch size"):
        RolloutStorage("rl", N + 1, T, obs, [A])
    with pytest.raises(ValueError, match="positive"):
        RolloutStorage("rl", N, 0, obs, [A])


def test_buffers_shapes_and_dtypes():
    storage = _rl_storage()
    _fill(storage)
    assert storage.observations.batch_size == torch.Size([T, N])
    assert storage.observations["policy"].dtype == torch.float32
    assert storage.observations["camera"].dtype == torch.uint8
    assert storage.observations["camera"].shape == (T, N, 1, 2, 2)
    assert storage.actions.shape == (T, N, A) and storage.rewards.shape == (T, N, 1)
    assert storage.dones.shape == (T, N, 1) and storage.dones.dtype == torch.uint8
    assert [p.shape for p in storage.distribution_params] == [(T, N, A), (T, N, A), (T, N)]
    # Stored values are the ones handed over, in time-major order
    ids = torch.arange(T * N, dtype=torch.float32).view(T, N)
    assert torch.equal(storage.observations["policy"][..., 0], ids)
    assert torch.equal(storage.observations["camera"][..., 0, 0, 0], (ids % 251).to(torch.uint8))
    assert torch.equal(storage.rewards[..., 0], ids * 10)
    assert torch.equal(storage.values[..., 0], ids * 2)
    assert torch.equal(storage.actions_log_prob[..., 0], ids * 3)
    assert storage.saved_hidden_state_a is None and storage.saved_hidden_state_c is None


def test_overflow_and_clear():
    storage = _rl_storage()
    _fill(storage)
    transition = RolloutStorage.Transition()
    with pytest.raises(OverflowError, match="clear"):
        storage.add_transition(transition)
    storage.clear()
    assert storage.step == 0
    _fill(storage)
    assert storage.step == T


def test_generators_refuse_wrong_type_or_partial_storage():
    storage = _rl_storage()
    with pytest.raises(ValueError, match="0 of 6"):
        next(storage.mini_batch_generator(2, 1))
    _fill(storage)
    with pytest.raises(ValueError, match="distillation"):
        next(storage.generator())
    with pytest.raises(ValueError, match="num_mini_batches"):
        next(storage.mini_batch_generator(0, 1))
    with pytest.raises(ValueError, match="num_mini_batches"):
        next(storage.recurrent_mini_batch_generator(N + 1, 1))
    distill = RolloutStorage("distillation", N, T, _obs(torch.arange(N).float()), [A])
    _fill(distill)
    with pytest.raises(ValueError, match="'rl'"):
        next(distill.mini_batch_generator(1, 1))
    with pytest.raises(ValueError, match="'rl'"):
        next(distill.recurrent_mini_batch_generator(1, 1))


@pytest.mark.parametrize("num_mini_batches", [1, 3, 4, 7])
def test_mini_batch_generator_covers_every_sample_once_per_epoch(num_mini_batches: int):
    torch.manual_seed(0)
    storage = _rl_storage()
    _fill(storage)
    num_epochs = 3
    batches = list(storage.mini_batch_generator(num_mini_batches, num_epochs))
    assert len(batches) == num_mini_batches * num_epochs
    epoch_orders = []
    for epoch in range(num_epochs):
        seen = []
        for batch in batches[epoch * num_mini_batches : (epoch + 1) * num_mini_batches]:
            ids = batch.observations["policy"][:, 0]
            size = ids.shape[0]
            assert size in (T * N // num_mini_batches, T * N // num_mini_batches + 1)
            # Every field of a sample comes from the same (t, n)
            assert batch.observations["camera"].dtype == torch.uint8
            assert torch.equal(batch.observations["camera"][:, 0, 0, 0], (ids % 251).to(torch.uint8))
            assert batch.actions.shape == (size, A) and torch.equal(batch.actions[:, 0], ids)
            assert batch.values.shape == (size, 1) and torch.equal(batch.values[:, 0], ids * 2)
            assert torch.equal(batch.old_actions_log_prob[:, 0], ids * 3)
            assert torch.equal(batch.returns[:, 0], ids * 4)
            assert torch.equal(batch.advantages[:, 0], ids * 5)
            mean, neg, flat = batch.old_distribution_params
            assert torch.equal(mean[:, 1], ids) and torch.equal(neg[:, 0], -ids) and torch.equal(flat, ids)
            assert batch.hidden_states == (None, None) and batch.masks is None
            seen.append(ids)
        seen = torch.cat(seen)
        assert torch.equal(seen.sort().values, torch.arange(T * N, dtype=torch.float32))
        epoch_orders.append(seen)
    # A fresh permutation per epoch (30! orders: equal orders would be a bug, not chance)
    assert not torch.equal(epoch_orders[0], epoch_orders[1])


def test_recurrent_generator_alignment():
    torch.manual_seed(0)
    storage = _rl_storage()
    dones = torch.zeros(T, N, dtype=torch.long)
    dones[1, 0] = dones[3, 0] = dones[2, 2] = dones[5, 3] = dones[0, 4] = dones[4, 4] = 1
    given = _fill(storage, dones=dones, hidden="gru")
    actor_states = torch.stack(given["actor"])  # [T, L, N, H]
    critic_h = torch.stack([c[0] for c in given["critic"]])
    critic_c = torch.stack([c[1] for c in given["critic"]])

    num_mini_batches, envs_per_batch = 2, N // 2  # the last env is left out, as in RSL-RL
    batches = list(storage.recurrent_mini_batch_generator(num_mini_batches, num_epochs=2))
    assert len(batches) == 4
    for k, batch in enumerate(batches):
        env_slice = slice((k % 2) * envs_per_batch, (k % 2 + 1) * envs_per_batch)
        # Time-major per-env fields of the env slice
        assert torch.equal(batch.actions, storage.actions[:, env_slice])
        assert torch.equal(batch.values, storage.values[:, env_slice])
        assert torch.equal(batch.returns, storage.returns[:, env_slice])
        assert torch.equal(batch.advantages, storage.advantages[:, env_slice])
        assert torch.equal(batch.old_actions_log_prob, storage.actions_log_prob[:, env_slice])
        assert torch.equal(batch.old_distribution_params[0], storage.distribution_params[0][:, env_slice])
        # Padded trajectories of exactly those envs, lined up with the dones
        padded, masks = split_and_pad_trajectories(storage.observations[:, env_slice], dones[:, env_slice])
        assert torch.equal(batch.masks, masks)
        assert (batch.observations == padded).all()
        assert batch.observations["camera"].dtype == torch.uint8
        restored = unpad_trajectories(batch.observations, batch.masks)
        assert (restored == storage.observations[:, env_slice]).all()
        # Hidden states at trajectory starts: step 0 and every step after a done, env-major order
        starts = [
            (t, n) for n in range(env_slice.start, env_slice.stop) for t in range(T) if t == 0 or dones[t - 1, n] == 1
        ]
        assert batch.observations.batch_size[1] == len(starts)
        actor = batch.hidden_states[0]
        critic_hc = batch.hidden_states[1]
        assert isinstance(actor, torch.Tensor) and actor.shape == (2, len(starts), 4)
        assert isinstance(critic_hc, tuple) and len(critic_hc) == 2 and critic_hc[0].shape == (1, len(starts), 3)
        for j, (t, n) in enumerate(starts):
            # The trajectory's first observation is sample (t, n)
            assert batch.observations["policy"][0, j, 0] == t * N + n
            assert torch.equal(actor[:, j], actor_states[t, :, n])
            assert torch.equal(critic_hc[0][:, j], critic_h[t, :, n])
            assert torch.equal(critic_hc[1][:, j], critic_c[t, :, n])


def test_recurrent_generator_without_hidden_states():
    storage = _rl_storage()
    _fill(storage)
    batch = next(storage.recurrent_mini_batch_generator(1, 1))
    assert batch.hidden_states == (None, None)
    assert batch.observations.batch_size == torch.Size([T, N]) and batch.masks.all()


def test_missing_hidden_state_after_allocation_is_stored_as_zero():
    storage = _rl_storage()
    _fill(storage, hidden="gru")
    storage.clear()
    transition = RolloutStorage.Transition()
    transition.observations = _obs(torch.arange(N).float())
    transition.actions = torch.zeros(N, A)
    transition.rewards = torch.zeros(N)
    transition.dones = torch.zeros(N)
    transition.values = torch.zeros(N, 1)
    transition.actions_log_prob = torch.zeros(N)
    transition.distribution_params = (torch.zeros(N, A), torch.zeros(N, A), torch.zeros(N))
    storage.add_transition(transition)
    assert torch.count_nonzero(storage.saved_hidden_state_a[0][0]) == 0
    assert all(torch.count_nonzero(s[0]) == 0 for s in storage.saved_hidden_state_c)


def test_distillation_generator_in_time_order():
    obs = _obs(torch.arange(N).float())
    storage = RolloutStorage("distillation", N, T, obs, [A])
    assert not hasattr(storage, "values")
    dones = (torch.arange(T * N).view(T, N) % 4 == 0).long()
    _fill(storage, dones=dones)
    batches = list(storage.generator())
    assert len(batches) == T
    for t, batch in enumerate(batches):
        ids = _sample_ids(t).float()
        assert batch.observations.batch_size == torch.Size([N])
        assert torch.equal(batch.observations["policy"][:, 0], ids)
        assert batch.observations["camera"].dtype == torch.uint8
        assert torch.equal(batch.privileged_actions, -ids.unsqueeze(-1).repeat(1, A))
        assert batch.dones.shape == (N, 1) and torch.equal(batch.dones[:, 0].long(), dones[t])
        assert batch.actions is None and batch.masks is None
