"""PPO with its extensions: curiosity (RND) and symmetry (augmentation and mirror loss) through a real update."""

from __future__ import annotations

import pytest
import torch
from random_env import NUM_STEPS, RandomEnv, collect, first_updates, make_cfg
from tensordict import TensorDict

from rsl_sim.algorithms import PPO
from rsl_sim.extensions import Invariant, JointTerm, MirrorFunction, MirrorLayout, PolarVector


class _TimedEnv(RandomEnv):
    step_dt = 0.02


RND_CFG = {
    "weight": 50.0,
    "num_outputs": 4,
    "predictor_hidden_dims": [16],
    "target_hidden_dims": [16],
    "state_normalization": True,
}


def _rnd_alg(seed=0):
    torch.manual_seed(seed)
    env = _TimedEnv()
    cfg = make_cfg(rnd_cfg=dict(RND_CFG))
    cfg["obs_groups"]["rnd_state"] = ["critic"]
    alg = PPO.construct_algorithm(env.get_observations(), env, cfg, "cpu")
    alg.train_mode()
    return alg, env


def test_rnd_adds_the_weighted_intrinsic_reward_and_trains_its_predictor():
    alg, env = _rnd_alg()
    assert alg.rnd.initial_weight == pytest.approx(50.0 * 0.02)  # weight scaled by the env step duration
    obs = env.get_observations()
    with torch.inference_mode():
        alg.act(obs)
        next_obs, rewards, dones, extras = env.step(torch.zeros(env.num_envs, 2))
        extras.pop("time_outs")  # no bootstrap: the stored reward is extrinsic + intrinsic
        alg.process_env_step(next_obs, rewards, dones, extras)
    intrinsic = alg.intrinsic_rewards
    assert intrinsic.shape == (env.num_envs,) and bool((intrinsic > 0).all())
    torch.testing.assert_close(alg.storage.rewards[0].squeeze(-1), rewards + intrinsic)

    alg, env = _rnd_alg()
    predictor = [p.clone() for p in alg.rnd.predictor.parameters()]
    target = [p.clone() for p in alg.rnd.target.parameters()]
    collect(alg, env)
    losses = alg.update()
    assert set(losses) == {"value", "surrogate", "entropy", "rnd"} and losses["rnd"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(predictor, alg.rnd.predictor.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(target, alg.rnd.target.parameters()))
    assert int(alg.rnd.state_normalizer.count) == NUM_STEPS * env.num_envs


def test_rnd_state_is_saved_and_loaded():
    alg, env = _rnd_alg(seed=0)
    collect(alg, env)
    alg.update()
    saved = alg.save()
    assert {"rnd_state_dict", "rnd_optimizer_state_dict"} <= set(saved)
    other, _ = _rnd_alg(seed=1)
    other.load(saved)
    for key, value in alg.rnd.state_dict().items():
        torch.testing.assert_close(other.rnd.state_dict()[key], value)
    assert other.rnd.optimizer.state_dict()["state"].keys() == alg.rnd.optimizer.state_dict()["state"].keys()


# A mirror for RandomEnv: policy = (x, y, z) polar vector, critic = two invariants, actions = 2 "joints" L/R
LAYOUT = MirrorLayout(joint_names=["left_joint", "right_joint"])
MIRROR = MirrorFunction(
    LAYOUT,
    obs_terms={"policy": [PolarVector("v")], "critic": [Invariant("c", 2)]},
    action_terms=[JointTerm("actions")],
)


def _symmetry_alg(**symmetry):
    torch.manual_seed(0)
    env = RandomEnv()
    cfg = make_cfg(symmetry_cfg={"data_augmentation_func": MIRROR, **symmetry})
    alg = PPO.construct_algorithm(env.get_observations(), env, cfg, "cpu")
    alg.train_mode()
    return alg, env


@pytest.mark.parametrize(
    "symmetry",
    [
        {"use_data_augmentation": True},
        {"use_mirror_loss": True, "mirror_loss_coeff": 1.0},
        {"use_data_augmentation": True, "use_mirror_loss": True, "mirror_loss_coeff": 0.5},
    ],
)
def test_ppo_with_symmetry_runs_a_full_update(symmetry):
    alg, env = _symmetry_alg(**symmetry)
    seen = []
    actor_forward = alg.actor.forward

    def recording_forward(obs, *args, **kwargs):
        seen.append(obs.batch_size[0])
        return actor_forward(obs, *args, **kwargs)

    alg.actor.forward = recording_forward
    collect(alg, env)
    seen.clear()
    before = [p.clone() for p in alg.actor.parameters()]
    losses = alg.update()
    assert set(losses) == {"value", "surrogate", "entropy", "symmetry"}
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, alg.actor.parameters()))
    mini_batch = NUM_STEPS * env.num_envs // 2
    num_steps = alg.num_learning_epochs * alg.num_mini_batches
    # The update runs the actor once on every original and mirrored sample: the mirror loss reuses the mean of the
    # update's own forward pass (RSL-RL runs the actor a second time on the augmented batch)
    if symmetry.get("use_data_augmentation"):
        assert seen == [2 * mini_batch] * num_steps
    else:
        assert seen == [mini_batch, mini_batch] * num_steps  # originals, then the mirrored copies alone


@pytest.mark.parametrize(
    "symmetry",
    [
        {"use_data_augmentation": True},
        {"use_mirror_loss": True, "mirror_loss_coeff": 1.0},
        {"use_data_augmentation": True, "use_mirror_loss": True, "mirror_loss_coeff": 0.5},
    ],
    ids=["augmentation", "mirror loss", "both"],
)
def test_first_symmetric_update_matches_rsl_rl(symmetry):
    """rsl_sim reuses the update's actor mean for the mirror loss; RSL-RL runs the actor again: same update."""
    reference = pytest.importorskip("rsl_rl.algorithms")
    cfg = make_cfg(symmetry_cfg={"data_augmentation_func": MIRROR, **symmetry})
    cfg["multi_gpu"] = None
    results = first_updates(reference.PPO, cfg)
    (ref_losses, ref_lr, ref_params), (losses, lr, params) = results
    assert losses.keys() == ref_losses.keys() and lr == pytest.approx(ref_lr, rel=1e-6)
    assert losses["symmetry"] > 0.0
    for key, value in losses.items():
        assert value == pytest.approx(ref_losses[key], rel=1e-5, abs=1e-7), key
    torch.testing.assert_close(params, ref_params, rtol=1e-5, atol=1e-6)


def test_mirror_loss_pulls_the_actor_towards_equivariance():
    alg, env = _symmetry_alg(use_mirror_loss=True, mirror_loss_coeff=10.0)
    obs = TensorDict({"policy": torch.randn(64, 3), "critic": torch.randn(64, 2)}, [64])

    def mirror_gap():
        with torch.no_grad():
            mirrored = MIRROR.mirror_observations(obs)[0]
            return (alg.actor(mirrored) - MIRROR.mirror_actions(alg.actor(obs))[0]).pow(2).mean().item()

    gap_before = mirror_gap()
    for _ in range(15):
        collect(alg, env)
        alg.update()
    assert mirror_gap() < 0.5 * gap_before


def test_symmetry_is_refused_for_recurrent_models():
    env = RandomEnv()
    cfg = make_cfg(recurrent=True, symmetry_cfg={"data_augmentation_func": MIRROR, "use_data_augmentation": True})
    with pytest.raises(ValueError, match="recurrent"):
        PPO.construct_algorithm(env.get_observations(), env, cfg, "cpu")
