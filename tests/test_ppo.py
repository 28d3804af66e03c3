"""PPO: time-out bootstrap, first ratio, adaptive learning rate, separate clipping, config checks, checkpoints."""

from __future__ import annotations

import copy
import inspect

import pytest
import torch
from random_env import GAMMA, NUM_ACTIONS, NUM_ENVS, NUM_STEPS, RandomEnv, collect, first_updates, make_alg, make_cfg
from tensordict import TensorDict

from rsl_sim.algorithms import PPO
from rsl_sim.algorithms import ppo as ppo_module
from rsl_sim.algorithms.distributed import all_reduce_gradients
from rsl_sim.algorithms.losses import adaptive_learning_rate, clipped_surrogate_loss, value_function_loss
from rsl_sim.algorithms.mini_batches import shuffled_mini_batches
from rsl_sim.modules import linear as linear_module
from rsl_sim.storage import RolloutStorage


def linear_critic_alg(**algorithm) -> PPO:
    """PPO whose critic is V(s) = sum of the 'critic' group (one linear layer with unit weights, no normalizer)."""
    cfg = make_cfg(**algorithm)
    cfg["obs_groups"]["critic"] = ["critic"]
    cfg["critic"] = {"class_name": "MLPModel", "hidden_dims": [], "obs_normalization": False}
    alg, _ = make_alg(cfg, RandomEnv(num_envs=3))
    with torch.no_grad():
        alg.critic.mlp[0].weight.fill_(1.0)
        alg.critic.mlp[0].bias.zero_()
    return alg


def obs_with_critic(critic_rows: list[list[float]]) -> TensorDict:
    critic = torch.tensor(critic_rows)
    return TensorDict({"policy": torch.zeros(len(critic_rows), 3), "critic": critic}, batch_size=[len(critic_rows)])


# Time-out bootstrap


def test_time_out_bootstrap_reference_rule_uses_value_of_current_state():
    alg = linear_critic_alg()
    alg.act(obs_with_critic([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))  # V(s_t) = 3, 7, 11
    rewards = torch.tensor([1.0, 1.0, 1.0])
    dones = torch.tensor([0, 1, 1])
    time_outs = torch.tensor([False, True, False])  # env 2 terminated: no bootstrap
    alg.process_env_step(obs_with_critic([[0.0, 0.0]] * 3), rewards, dones, {"time_outs": time_outs})

    torch.testing.assert_close(alg.storage.rewards[0, :, 0], torch.tensor([1.0, 1.0 + GAMMA * 7.0, 1.0]))
    torch.testing.assert_close(rewards, torch.ones(3))  # the env's tensor is not modified


def test_time_out_bootstrap_from_final_observation_uses_value_of_next_state():
    alg = linear_critic_alg()
    alg.act(obs_with_critic([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    # Final observations: V = 20 (no time-out: ignored, even as NaN), 40 (time-out), 0 (terminated)
    final = obs_with_critic([[float("nan"), 10.0], [15.0, 25.0], [-3.0, 3.0]])
    extras = {"time_outs": torch.tensor([False, True, False]), "final_observation": final}
    alg.process_env_step(obs_with_critic([[0.0, 0.0]] * 3), torch.ones(3), torch.tensor([0, 1, 1]), extras)

    torch.testing.assert_close(alg.storage.rewards[0, :, 0], torch.tensor([1.0, 1.0 + GAMMA * 40.0, 1.0]))


def test_time_out_bootstrap_final_observation_can_be_switched_off():
    alg = linear_critic_alg(bootstrap_time_outs_from_final_obs=False)
    alg.act(obs_with_critic([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    extras = {"time_outs": torch.tensor([True, False, False]), "final_observation": obs_with_critic([[9.0, 9.0]] * 3)}
    alg.process_env_step(obs_with_critic([[0.0, 0.0]] * 3), torch.zeros(3), torch.tensor([1, 0, 0]), extras)

    torch.testing.assert_close(alg.storage.rewards[0, :, 0], torch.tensor([GAMMA * 3.0, 0.0, 0.0]))


def test_no_time_outs_key_means_no_bootstrap():
    alg = linear_critic_alg()
    alg.act(obs_with_critic([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    alg.process_env_step(obs_with_critic([[0.0, 0.0]] * 3), torch.ones(3), torch.tensor([1, 1, 1]), {})
    torch.testing.assert_close(alg.storage.rewards[0, :, 0], torch.ones(3))


def test_recurrent_critic_bootstraps_final_observation_from_its_pre_reset_state():
    alg, env = make_alg(make_cfg(recurrent=True), RandomEnv(final_observation=True))
    # Two steps so that the critic's state is not zero, then a step with time-outs
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(2):
            obs, rewards, dones, extras = env.step(alg.act(obs))
            alg.process_env_step(obs, rewards, dones, {})
        alg.act(obs)
        state_after_act = alg.critic.get_hidden_state().clone()
        obs, rewards, dones, extras = env.step(torch.zeros(NUM_ENVS, NUM_ACTIONS))
        assert extras["time_outs"].any() and not extras["time_outs"].all()

        # Expected: a copy of the critic continued from the state after s_t, evaluated on the final observations
        twin = copy.deepcopy(alg.critic)
        twin.reset(hidden_state=state_after_act.clone())
        final_values = twin(extras["final_observation"])[:, 0]
        expected = rewards + GAMMA * torch.where(extras["time_outs"], final_values, torch.zeros_like(final_values))
        alg.process_env_step(obs, rewards, dones, extras)

    torch.testing.assert_close(alg.storage.rewards[2, :, 0], expected)
    # The extra evaluation did not advance the critic: its state is the state after s_t with done envs zeroed
    kept = state_after_act.masked_fill(dones.bool().view(1, -1, 1), 0.0)
    torch.testing.assert_close(alg.critic.get_hidden_state(), kept, rtol=0, atol=0)


def test_compute_returns_restores_recurrent_critic_state_and_fills_targets():
    alg, env = make_alg(make_cfg(recurrent=True))
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(NUM_STEPS):
            obs, rewards, dones, extras = env.step(alg.act(obs))
            alg.process_env_step(obs, rewards, dones, extras)
        before = alg.critic.get_hidden_state().clone()
        alg.compute_returns(obs)
    assert torch.equal(alg.critic.get_hidden_state(), before)
    # Normalized over the rollout
    torch.testing.assert_close(alg.storage.advantages.mean(), torch.tensor(0.0), atol=1e-6, rtol=0)
    torch.testing.assert_close(alg.storage.advantages.std(), torch.tensor(1.0), atol=1e-5, rtol=0)


# Update


def test_first_ratio_is_exactly_one_because_normalizers_update_after_the_optimization(monkeypatch):
    ratios = []

    def recording_surrogate(log_prob, old_log_prob, advantages, clip_param):
        ratios.append(torch.exp(log_prob - old_log_prob.squeeze()).detach())
        return original(log_prob, old_log_prob, advantages, clip_param)

    original = ppo_module.clipped_surrogate_loss
    monkeypatch.setattr(ppo_module, "clipped_surrogate_loss", recording_surrogate)
    alg, env = make_alg()
    collect(alg, env)
    alg.update()
    assert torch.equal(ratios[0], torch.ones_like(ratios[0]))
    assert not torch.equal(ratios[-1], torch.ones_like(ratios[-1]))  # the policy did change
    assert int(alg.actor.obs_normalizer.count) == NUM_ENVS * NUM_STEPS  # statistics were updated afterwards

    # Counter-check: updating the normalizer before the optimization would move the first ratio away from 1
    ratios.clear()
    alg, env = make_alg()
    collect(alg, env)
    alg.actor.update_normalization(alg.storage.observations.flatten(0, 1))
    alg.update()
    assert (ratios[0] - 1.0).abs().max() > 1e-2


def test_clipped_surrogate_loss_hand_computed():
    # Ratios 1.5, 0.5, 1.5, 0.5 with advantages +1, +1, -1, -1 and clip 0.2: the pessimistic terms are
    # max(-1.5, -1.2) = -1.2, max(-0.5, -0.8) = -0.5, max(1.5, 1.2) = 1.5, max(0.5, 0.8) = 0.8
    ratios = torch.tensor([1.5, 0.5, 1.5, 0.5])
    old_log_prob = torch.randn(4, 1)
    advantages = torch.tensor([[1.0], [1.0], [-1.0], [-1.0]])
    loss = clipped_surrogate_loss(old_log_prob[:, 0] + ratios.log(), old_log_prob, advantages, clip_param=0.2)
    torch.testing.assert_close(loss, torch.tensor((-1.2 - 0.5 + 1.5 + 0.8) / 4))


def test_value_function_loss_hand_computed():
    # Rollout values 0, targets 1, clip 0.2: moving towards the target is clipped at 0.2, moving away is not
    values, old_values, returns = torch.tensor([[0.5], [-0.5]]), torch.zeros(2, 1), torch.ones(2, 1)
    clipped = value_function_loss(values, old_values, returns, clip_param=0.2, clipped=True)
    torch.testing.assert_close(clipped, torch.tensor((0.8**2 + 1.5**2) / 2))
    plain = value_function_loss(values, old_values, returns, clip_param=0.2, clipped=False)
    torch.testing.assert_close(plain, torch.tensor((0.5**2 + 1.5**2) / 2))


def test_adaptive_learning_rate_rule_and_clamps():
    assert adaptive_learning_rate(1e-3, torch.tensor(0.05), desired_kl=0.01) == pytest.approx(1e-3 / 1.5)
    assert adaptive_learning_rate(1e-3, torch.tensor(0.001), desired_kl=0.01) == pytest.approx(1.5e-3)
    assert adaptive_learning_rate(1e-3, torch.tensor(0.01), desired_kl=0.01) == 1e-3  # within [d / 2, 2 d]
    assert adaptive_learning_rate(1e-3, torch.tensor(0.0), desired_kl=0.01) == 1e-3  # zero KL: no increase
    assert adaptive_learning_rate(1.2e-5, torch.tensor(1.0), desired_kl=0.01) == 1e-5
    assert adaptive_learning_rate(8e-3, torch.tensor(1e-6), desired_kl=0.01) == 1e-2


@pytest.mark.parametrize(
    ("desired_kl", "initial_lr", "final_lr"),
    [(1e-9, 1.2e-5, 1e-5), (1e6, 4e-3, 1e-2)],  # KL forced far above / below the target: clamped at the bounds
)
def test_adaptive_learning_rate_through_update(monkeypatch, desired_kl, initial_lr, final_lr):
    calls, step_lrs = [], []

    def recording_rule(learning_rate, kl_mean, desired):
        new_lr = original(learning_rate, kl_mean, desired)
        calls.append((learning_rate, float(kl_mean), new_lr))
        return new_lr

    original = ppo_module.adaptive_learning_rate
    monkeypatch.setattr(ppo_module, "adaptive_learning_rate", recording_rule)
    alg, env = make_alg(make_cfg(learning_rate=initial_lr, desired_kl=desired_kl, num_learning_epochs=3))
    optimizer_step = alg.optimizer.step
    alg.optimizer.step = lambda: (step_lrs.append(alg.optimizer.param_groups[0]["lr"]), optimizer_step())
    collect(alg, env)
    alg.update()

    # One decision per mini-batch, each following the rule, chained, and applied before that mini-batch's step
    assert len(calls) == 6
    for (lr_in, kl, lr_out), previous in zip(calls, [initial_lr] + [c[2] for c in calls[:-1]]):
        assert lr_in == previous
        if kl > 2 * desired_kl:
            assert lr_out == max(1e-5, lr_in / 1.5)
        elif 0 < kl < desired_kl / 2:
            assert lr_out == min(1e-2, lr_in * 1.5)
        else:
            assert lr_out == lr_in
    assert step_lrs == [c[2] for c in calls]
    assert alg.learning_rate == final_lr == alg.optimizer.param_groups[0]["lr"]


def test_fixed_schedule_keeps_learning_rate():
    alg, env = make_alg(make_cfg(schedule="fixed", learning_rate=3e-4))
    collect(alg, env)
    alg.update()
    assert alg.learning_rate == 3e-4 == alg.optimizer.param_groups[0]["lr"]


def test_actor_and_critic_gradients_are_clipped_separately():
    alg, env = make_alg(make_cfg(max_grad_norm=1e-3, schedule="fixed"))
    norms = []
    optimizer_step = alg.optimizer.step

    def recording_step():
        grad_norm = lambda module: torch.linalg.vector_norm(  # noqa: E731
            torch.stack([torch.linalg.vector_norm(p.grad) for p in module.parameters() if p.grad is not None])
        )
        norms.append((float(grad_norm(alg.actor)), float(grad_norm(alg.critic))))
        optimizer_step()

    alg.optimizer.step = recording_step
    collect(alg, env)
    alg.update()
    # Each model is clipped to the maximum on its own (joint clipping would leave each below it)
    assert len(norms) == 4
    for actor_norm, critic_norm in norms:
        assert actor_norm == pytest.approx(1e-3, rel=1e-4)
        assert critic_norm == pytest.approx(1e-3, rel=1e-4)


def test_update_returns_mean_losses_and_clears_storage():
    alg, env = make_alg()
    collect(alg, env)
    losses = alg.update()
    assert set(losses) == {"value", "surrogate", "entropy"}
    assert all(isinstance(v, float) and v == v for v in losses.values())
    # Entropy of the initial Gaussian (std 1, 2 actions, hardly moved in 4 small steps): 2 * 0.5 * log(2 pi e)
    assert losses["entropy"] == pytest.approx(2 * 1.4189385, rel=1e-2)
    assert alg.storage.step == 0


@pytest.mark.parametrize(
    "options",
    [
        {"normalize_advantage_per_mini_batch": True},
        {"use_clipped_value_loss": False},
        {"use_mixed_precision": True},
        {"optimizer": "sgd", "schedule": "fixed"},
    ],
)
def test_options_train_with_finite_losses(options):
    alg, env = make_alg(make_cfg(**options))
    for _ in range(2):
        collect(alg, env)
        losses = alg.update()
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())


def test_recurrent_models_train():
    alg, env = make_alg(make_cfg(recurrent=True, num_mini_batches=3))
    for _ in range(2):
        collect(alg, env)
        losses = alg.update()
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())


def test_mini_batches_use_one_permutation_for_all_epochs_and_keep_samples_together():
    env = RandomEnv(num_envs=4)
    storage = RolloutStorage("rl", 4, 5, env.get_observations(), [NUM_ACTIONS])
    transition = RolloutStorage.Transition()
    for step in range(5):
        index = torch.arange(4, dtype=torch.float32) + 4 * step  # flat sample index, written into every field
        transition.observations = TensorDict(
            {"policy": index[:, None].repeat(1, 3), "critic": -index[:, None].repeat(1, 2)}, batch_size=[4]
        )
        transition.actions, transition.values = index[:, None].repeat(1, 2), index[:, None]
        transition.rewards, transition.dones = index, torch.zeros(4)
        transition.actions_log_prob, transition.distribution_params = index, (index[:, None], index[:, None] + 0.5)
        storage.add_transition(transition)
    storage.returns.copy_(storage.values)
    storage.advantages.copy_(storage.values)

    torch.manual_seed(3)
    batches = list(shuffled_mini_batches(storage, num_mini_batches=3, num_epochs=2))
    torch.manual_seed(3)
    permutation = torch.randperm(18)  # the same single draw: 3 mini-batches of 20 // 3 = 6, 2 samples left out

    assert len(batches) == 6
    for i, batch in enumerate(batches):
        expected = permutation[6 * (i % 3) : 6 * (i % 3 + 1)].float()
        torch.testing.assert_close(batch.observations["policy"][:, 0], expected)
        torch.testing.assert_close(batch.observations["critic"][:, 1], -expected)
        for field in (batch.actions[:, 1], batch.values[:, 0], batch.returns[:, 0], batch.advantages[:, 0]):
            torch.testing.assert_close(field, expected)
        torch.testing.assert_close(batch.old_actions_log_prob[:, 0], expected)
        torch.testing.assert_close(batch.old_distribution_params[1][:, 0], expected + 0.5)


# Configuration


def test_constructor_defaults_match_rsl_rl():
    reference = {
        "num_learning_epochs": 5,
        "num_mini_batches": 4,
        "clip_param": 0.2,
        "gamma": 0.99,
        "lam": 0.95,
        "value_loss_coef": 1.0,
        "entropy_coef": 0.01,
        "learning_rate": 0.001,
        "max_grad_norm": 1.0,
        "optimizer": "adam",
        "use_clipped_value_loss": True,
        "schedule": "adaptive",
        "desired_kl": 0.01,
        "normalize_advantage_per_mini_batch": False,
        "use_mixed_precision": False,
        "device": "cpu",
        "rnd_cfg": None,
        "symmetry_cfg": None,
        "multi_gpu_cfg": None,
        "grad_reduce_bucket_mb": 25,
        "torch_compile_mode": None,
        "bootstrap_time_outs_from_final_obs": True,
    }
    parameters = inspect.signature(PPO.__init__).parameters
    assert {name: parameters[name].default for name in reference} == reference


def test_unknown_keyword_argument_is_named():
    alg, _ = make_alg()
    with pytest.raises(ValueError, match=r"\['learning_rat'\].*num_learning_epochs"):
        PPO(alg.actor, alg.critic, alg.storage, learning_rat=1e-3)


def test_unknown_algorithm_config_key_is_named():
    env = RandomEnv()
    cfg = make_cfg(value_loss_coeff=1.0)
    with pytest.raises(ValueError, match=r"\['value_loss_coeff'\]"):
        PPO.construct_algorithm(env.get_observations(), env, cfg, "cpu")
    cfg = make_cfg(device="cuda:0")  # set by the runner, not by the config
    with pytest.raises(ValueError, match=r"\['device'\]"):
        PPO.construct_algorithm(env.get_observations(), env, cfg, "cpu")


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"schedule": "cosine"}, ValueError, "schedule"),
        ({"gamma": 1.5}, ValueError, "gamma"),
        ({"num_learning_epochs": 2.0}, TypeError, "num_learning_epochs"),
        ({"optimizer": "lion"}, ValueError, "optimizer"),
        ({"num_mini_batches": 0}, ValueError, "num_mini_batches"),
        ({"use_clipped_value_loss": "yes"}, TypeError, "use_clipped_value_loss"),
        ({"torch_compile_mode": "reduce-overhead"}, ValueError, "torch_compile_mode"),
        ({"rnd_cfg": {"weigth": 1.0}}, ValueError, "weigth"),
        ({"symmetry_cfg": {"use_data_augmentation": True}}, ValueError, "data_augmentation_func"),
    ],
)
def test_invalid_settings_are_refused(options, error, match):
    env = RandomEnv()
    with pytest.raises(error, match=match):
        PPO.construct_algorithm(env.get_observations(), env, make_cfg(**options), "cpu")


def test_recurrent_model_limits():
    env = RandomEnv()
    with pytest.warns(UserWarning, match="num_mini_batches"):  # 7 > 6 environments: one per mini-batch (5.5.1: none)
        alg = PPO.construct_algorithm(env.get_observations(), env, make_cfg(recurrent=True, num_mini_batches=7), "cpu")
    assert alg.num_mini_batches == 6
    alg, _ = make_alg(make_cfg(recurrent=True))
    with pytest.raises(ValueError, match="recurrent"):
        PPO(alg.actor, alg.critic, alg.storage, symmetry_cfg={})


def test_conflicting_compile_modes_are_refused():
    env = RandomEnv()
    cfg = make_cfg(torch_compile_mode="default")
    cfg["torch_compile_mode"] = "max-autotune-no-cudagraphs"
    with pytest.raises(ValueError, match="torch_compile_mode"):
        PPO.construct_algorithm(env.get_observations(), env, cfg, "cpu")


def test_user_config_is_not_modified():
    cfg = make_cfg(learning_rate=5e-4, share_cnn_encoders=False, rnd_cfg=None)
    cfg["obs_groups"] = {"actor": ["policy"]}  # the critic set is filled in by default
    cfg["torch_compile_mode"] = None
    cfg["multi_gpu"] = None
    snapshot = copy.deepcopy(cfg)
    env = RandomEnv()
    with pytest.warns(UserWarning, match="no 'critic' set"):
        alg = PPO.construct_algorithm(env.get_observations(), env, cfg, "cpu")
    collect(alg, env)
    alg.update()
    assert cfg == snapshot
    assert alg.obs_groups == {"actor": ["policy"], "critic": ["critic"]}


# Checkpoints


def test_save_load_round_trip_restores_models_optimizer_and_learning_rate(tmp_path):
    alg, env = make_alg(make_cfg(desired_kl=1e-4))
    collect(alg, env)
    alg.update()
    assert alg.learning_rate != 1e-3  # the adaptive schedule moved it
    torch.save({**alg.save(), "iter": 1, "infos": None}, tmp_path / "model_1.pt")
    loaded = torch.load(tmp_path / "model_1.pt", weights_only=False)
    assert {"actor_state_dict", "critic_state_dict", "optimizer_state_dict"} <= set(loaded)

    other, _ = make_alg(make_cfg(desired_kl=1e-4), seed=1)
    assert other.load(loaded) is True
    for mine, theirs in ((alg.actor, other.actor), (alg.critic, other.critic)):
        for (name, a), (_, b) in zip(mine.state_dict().items(), theirs.state_dict().items()):
            assert torch.equal(a, b), name  # parameters and normalizer statistics
    for a, b in zip(alg.optimizer.state.values(), other.optimizer.state.values()):
        assert all(torch.equal(a[key], b[key]) for key in ("step", "exp_avg", "exp_avg_sq"))
    assert other.learning_rate == alg.learning_rate == other.optimizer.param_groups[0]["lr"]

    # Both continue identically from the same random state
    env_a, env_b = RandomEnv(seed=5), RandomEnv(seed=5)
    for model, environment in ((alg, env_a), (other, env_b)):
        torch.manual_seed(9)
        collect(model, environment)
        model.update()
    for a, b in zip(alg.actor.parameters(), other.actor.parameters()):
        assert torch.equal(a, b)


def test_selective_load(tmp_path):
    alg, env = make_alg()
    collect(alg, env)
    alg.update()
    saved = alg.save()

    other, _ = make_alg(seed=1)
    critic_before = copy.deepcopy(other.critic.state_dict())
    assert other.load(saved, load_cfg={"actor": True}) is False
    assert all(torch.equal(a, b) for a, b in zip(alg.actor.parameters(), other.actor.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(critic_before.values(), other.critic.state_dict().values()))
    assert len(other.optimizer.state) == 0 and other.learning_rate == 1e-3

    with pytest.raises(ValueError, match=r"\['optimiser'\]"):
        other.load(saved, load_cfg={"optimiser": True})
    with pytest.raises(ValueError, match="critic_state_dict"):
        other.load({"actor_state_dict": saved["actor_state_dict"]}, load_cfg={"critic": True})


# Multi-process helpers (one process: the mean over processes is the value itself)


def test_distributed_helpers_in_a_single_process_group(tmp_path):
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        cfg = make_cfg()
        for entry in ("actor", "critic"):
            cfg[entry]["obs_normalization"] = False
        alg, env = make_alg(cfg)
        cfg["multi_gpu"] = {"global_rank": 0, "local_rank": 0, "world_size": 1}
        twin, twin_env = make_alg(cfg)
        twin.broadcast_parameters()
        for model, environment in ((alg, env), (twin, twin_env)):
            torch.manual_seed(4)
            collect(model, environment)
            model.update()
        assert twin.is_multi_gpu and not alg.is_multi_gpu
        for a, b in zip(alg.actor.parameters(), twin.actor.parameters()):
            assert torch.equal(a, b)

        # Bucketing: one gradient per bucket or all in one give the same result
        grads = [torch.randn(5, 3), torch.randn(7)]
        params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        for bucket_mb in (1e-6, 25.0):
            for p, g in zip(params, grads):
                p.grad = g.clone()
            all_reduce_gradients(params, world_size=1, bucket_mb=bucket_mb)
            assert all(torch.equal(p.grad, g) for p, g in zip(params, grads))
    finally:
        torch.distributed.destroy_process_group()


# Equivalence with the reference implementation (only where rsl-rl-lib 5.5.1 is installed, e.g. for benchmarks)


@pytest.mark.parametrize("onednn", [False, True], ids=["nn.Linear arithmetic", "oneDNN linear"])
def test_first_update_matches_rsl_rl(onednn, monkeypatch):
    reference = pytest.importorskip("rsl_rl.algorithms")
    monkeypatch.setattr(linear_module, "ONEDNN_MIN_MACS", 0)  # this test's small networks on oneDNN too
    cfg = make_cfg(num_learning_epochs=3, num_mini_batches=4)
    cfg["multi_gpu"] = None
    results = first_updates(reference.PPO, cfg, num_envs=16, onednn=onednn)
    (ref_losses, ref_lr, ref_params), (losses, lr, params) = results
    if not onednn:
        # the same arithmetic step for step: bit-identical
        assert losses == ref_losses and lr == ref_lr
        assert torch.equal(params, ref_params)
    else:
        # the same sums in another order (oneDNN's float32 products): equal up to float32 rounding
        assert losses.keys() == ref_losses.keys() and lr == ref_lr
        for key, value in losses.items():
            assert value == pytest.approx(ref_losses[key], rel=1e-4, abs=1e-6), key
        torch.testing.assert_close(params, ref_params, rtol=1e-5, atol=1e-6)
