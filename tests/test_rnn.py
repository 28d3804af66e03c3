from __future__ import annotations

import pytest
import torch

from rsl_sim.modules import RNN


def _clone_state(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.clone() for s in state)
    return state.clone()


def _pad_by_hand(obs: torch.Tensor, dones: torch.Tensor, saved_states: list):
    """Split [T, N, F] rollouts at dones into env-major padded trajectories [T, num_traj, F] with masks and the
    hidden state saved before each trajectory's first step."""
    num_steps, num_envs, _ = obs.shape
    pieces, masks, starts = [], [], []
    for env in range(num_envs):
        start = 0
        for t in range(num_steps):
            if dones[t, env] or t == num_steps - 1:
                length = t + 1 - start
                piece = torch.zeros(num_steps, obs.shape[2])
                piece[:length] = obs[start : t + 1, env]
                pieces.append(piece)
                masks.append(torch.arange(num_steps) < length)
                starts.append((start, env))
                start = t + 1
    padded = torch.stack(pieces, dim=1)
    mask = torch.stack(masks, dim=1)

    def gather(idx):
        return torch.stack([saved_states[t][idx][:, env] for t, env in starts], dim=1)

    if isinstance(saved_states[0], tuple):
        hidden = (gather(0), gather(1))
    else:
        hidden = torch.stack([saved_states[t][:, env] for t, env in starts], dim=1)
    return padded, mask, hidden


@pytest.mark.parametrize("rnn_type", ["lstm", "gru", "LSTM"])
def test_batch_mode_equals_rollout_mode_with_resets(rnn_type):
    torch.manual_seed(0)
    num_envs, num_steps, feat, hidden_dim = 5, 12, 3, 6
    rnn = RNN(feat, hidden_dim=hidden_dim, num_layers=2, type=rnn_type)
    # Warm up so that the state at the start of the rollout is not zero
    with torch.no_grad():
        for _ in range(3):
            rnn(torch.randn(num_envs, feat))

    obs = torch.randn(num_steps, num_envs, feat)
    dones = torch.rand(num_steps, num_envs) < 0.2
    dones[3, 0] = True
    dones[4, 0] = True  # a trajectory of length one
    saved, outputs = [], []
    with torch.no_grad():
        for t in range(num_steps):
            saved.append(_clone_state(rnn.hidden_state))
            out = rnn(obs[t])
            assert out.shape == (1, num_envs, hidden_dim)
            outputs.append(out.squeeze(0))
            rnn.reset(dones[t])
    rollout = torch.stack(outputs)

    padded, masks, hidden = _pad_by_hand(obs, dones, saved)
    stored = _clone_state(rnn.hidden_state)
    with torch.no_grad():
        batch = rnn(padded, masks=masks, hidden_state=hidden)
    assert batch.shape == (num_steps, num_envs, hidden_dim)
    torch.testing.assert_close(batch, rollout, atol=1e-6, rtol=1e-5)
    # Batch mode leaves the stored rollout state alone
    if isinstance(stored, tuple):
        assert all(torch.equal(a, b) for a, b in zip(stored, rnn.hidden_state))
    else:
        assert torch.equal(stored, rnn.hidden_state)


@pytest.mark.parametrize("rnn_type", ["lstm", "gru"])
def test_reset_zeroes_only_done_envs(rnn_type):
    torch.manual_seed(1)
    rnn = RNN(2, hidden_dim=4, num_layers=2, type=rnn_type)
    with torch.no_grad():
        rnn(torch.randn(4, 2))
    before = _clone_state(rnn.hidden_state)
    rnn.reset(torch.tensor([0.0, 1.0, 0.0, 1.0]))
    states = rnn.hidden_state if isinstance(rnn.hidden_state, tuple) else (rnn.hidden_state,)
    olds = before if isinstance(before, tuple) else (before,)
    for new, old in zip(states, olds):
        assert torch.all(new[:, [1, 3]] == 0)
        assert torch.equal(new[:, [0, 2]], old[:, [0, 2]])
        assert torch.all(old[:, [1, 3]] != 0)


def test_reset_with_bool_dones_and_given_state():
    rnn = RNN(2, hidden_dim=3, type="gru")
    with torch.no_grad():
        rnn(torch.randn(3, 2))
    before = rnn.hidden_state.clone()
    target = torch.full_like(before, 7.0)
    rnn.reset(torch.tensor([True, False, False]), hidden_state=target)
    assert torch.all(rnn.hidden_state[:, 0] == 7.0)
    assert torch.equal(rnn.hidden_state[:, 1:], before[:, 1:])


def test_reset_all_and_set_state():
    rnn = RNN(2, hidden_dim=3, type="lstm")
    with torch.no_grad():
        rnn(torch.randn(3, 2))
    rnn.reset()
    assert rnn.hidden_state is None
    state = (torch.ones(1, 3, 3), torch.zeros(1, 3, 3))
    rnn.reset(hidden_state=state)
    assert rnn.hidden_state is state
    # Resetting done envs of an unset state is a no-op (the state is zero anyway)
    rnn.reset()
    rnn.reset(torch.ones(3))
    assert rnn.hidden_state is None


def test_none_state_equals_zero_state():
    torch.manual_seed(2)
    rnn = RNN(3, hidden_dim=5, type="lstm")
    x = torch.randn(4, 3)
    with torch.no_grad():
        a = rnn(x)
        rnn.reset(hidden_state=(torch.zeros(1, 4, 5), torch.zeros(1, 4, 5)))
        b = rnn(x)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("rnn_type", ["lstm", "gru"])
def test_detach_all(rnn_type):
    rnn = RNN(2, hidden_dim=3, type=rnn_type)
    rnn(torch.randn(4, 2))
    states = rnn.hidden_state if isinstance(rnn.hidden_state, tuple) else (rnn.hidden_state,)
    assert all(s.requires_grad for s in states)
    rnn.detach_hidden_state()
    states = rnn.hidden_state if isinstance(rnn.hidden_state, tuple) else (rnn.hidden_state,)
    assert all(not s.requires_grad for s in states)


def test_detach_done_envs_cuts_only_their_gradient():
    torch.manual_seed(3)
    rnn = RNN(2, hidden_dim=3, type="gru")
    x = torch.randn(4, 2, requires_grad=True)
    rnn(x)
    rnn.detach_hidden_state(torch.tensor([1, 0, 1, 0]))
    rnn.hidden_state.sum().backward()
    assert torch.all(x.grad[[0, 2]] == 0)
    assert torch.all(x.grad[[1, 3]].abs().sum(dim=1) > 0)


def test_reset_keeps_autograd_working():
    rnn = RNN(2, hidden_dim=3, type="lstm")
    x = torch.randn(4, 2, requires_grad=True)
    rnn(x)
    rnn.reset(torch.tensor([1, 0, 0, 0]))
    out = rnn(torch.randn(4, 2))
    out.sum().backward()
    assert torch.all(x.grad[0] == 0) and torch.all(x.grad[1:].abs().sum(dim=1) > 0)


def test_state_dict_layout():
    keys = set(RNN(3, hidden_dim=4, num_layers=2, type="lstm").state_dict())
    assert {"rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l1", "rnn.bias_hh_l1"} <= keys


def test_batch_mode_without_hidden_state_raises():
    rnn = RNN(2, hidden_dim=3)
    with pytest.raises(ValueError, match="hidden state"):
        rnn(torch.randn(4, 2, 2), masks=torch.ones(4, 2, dtype=torch.bool))


def test_unknown_type_raises():
    with pytest.raises(ValueError, match="'transformer'"):
        RNN(2, type="transformer")


def test_wrong_number_of_dones_raises():
    rnn = RNN(2, hidden_dim=3, type="gru")
    with torch.no_grad():
        rnn(torch.randn(4, 2))
    with pytest.raises(ValueError, match="3 done flags"):
        rnn.reset(torch.ones(3))
