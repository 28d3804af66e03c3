"""Where rsl-rl-lib 5.5.1 accepts a config or a call and behaves sensibly, rsl_sim accepts it too (run in both)."""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from tensordict import TensorDict

import rsl_sim.algorithms
import rsl_sim.env
import rsl_sim.extensions
import rsl_sim.runners
from rsl_sim.modules import cnn as our_cnn

pytest.importorskip("rsl_rl", reason="the reference learner (rsl-rl-lib 5.5.1, in the test extra)")
import rsl_rl.algorithms  # noqa: E402
import rsl_rl.env  # noqa: E402
import rsl_rl.extensions  # noqa: E402
import rsl_rl.runners  # noqa: E402
from rsl_rl.modules import cnn as ref_cnn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NUM_ENVS, STEPS = 2, 2  # a rollout of 4 samples


def make_env(base: type):
    """A two-env VecEnv of the given library (its VecEnv base class), deterministic observations."""

    class Env(base):
        def __init__(self) -> None:
            self.num_envs, self.num_actions, self.max_episode_length = NUM_ENVS, 2, 10
            self.episode_length_buf = torch.zeros(NUM_ENVS, dtype=torch.long)
            self.device, self.cfg, self.t = "cpu", {}, 0

        def get_observations(self):
            obs = torch.arange(3 * NUM_ENVS, dtype=torch.float32).reshape(NUM_ENVS, 3) / 7 + self.t
            return TensorDict({"policy": torch.sin(obs)}, batch_size=[NUM_ENVS])

        def step(self, actions):
            self.t += 1
            dones = torch.zeros(NUM_ENVS, dtype=torch.long)
            rewards = -actions.pow(2).sum(dim=1)
            return self.get_observations(), rewards, dones, {"time_outs": torch.zeros(NUM_ENVS, dtype=torch.bool)}

    return Env()


def train_cfg(num_mini_batches: int, recurrent: bool) -> dict:
    actor = {
        "class_name": "RNNModel" if recurrent else "MLPModel",
        "hidden_dims": [8],
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0},
    }
    if recurrent:
        actor["rnn_hidden_dim"] = 8
    return {
        "num_steps_per_env": STEPS,
        "save_interval": 50,
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "actor": actor,
        "critic": {"class_name": "MLPModel", "hidden_dims": [8]},
        "algorithm": {
            "class_name": "PPO",
            "num_mini_batches": num_mini_batches,
            "num_learning_epochs": 2,
            "rnd_cfg": None,
            "symmetry_cfg": None,
        },
    }


def actor_change(runner_class: type, env_base: type, cfg: dict) -> float:
    """Train one iteration; return how far the actor's parameters moved."""
    torch.manual_seed(0)
    runner = runner_class(make_env(env_base), cfg, log_dir=None, device="cpu")
    before = [p.detach().clone() for p in runner.alg.actor.parameters()]
    runner.learn(1)
    return max(float((p - q).abs().max()) for p, q in zip(runner.alg.actor.parameters(), before))


@pytest.mark.parametrize("recurrent, num_mini_batches", [(False, 8), (True, 3)])
def test_more_mini_batches_than_samples_runs_in_both_and_rsl_sim_still_learns(recurrent, num_mini_batches):
    # 5.5.1: mini-batches of T * N // num_mini_batches = 0 samples, no error, no change
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = actor_change(
            rsl_rl.runners.OnPolicyRunner, rsl_rl.env.VecEnv, train_cfg(num_mini_batches, recurrent)
        )
    assert reference == 0.0
    # rsl_sim: the same config runs, with a warning, on one sample (env) per mini-batch
    with pytest.warns(UserWarning, match=rf"num_mini_batches \({num_mini_batches}\) exceeds"):
        ours = actor_change(rsl_sim.runners.OnPolicyRunner, rsl_sim.env.VecEnv, train_cfg(num_mini_batches, recurrent))
    assert ours > 0.0


def mirror(env=None, obs=None, actions=None):
    """Left-right mirror of the test's 3-D observations and 2-D actions: originals first, then the mirrored copy."""
    obs_aug = None
    if obs is not None:
        flipped = obs.clone()
        flipped["policy"] = obs["policy"] * torch.tensor([1.0, -1.0, -1.0])
        obs_aug = torch.cat([obs, flipped], dim=0)
    actions_aug = None if actions is None else torch.cat([actions, actions * torch.tensor([1.0, -1.0])], dim=0)
    return obs_aug, actions_aug


def test_symmetry_compute_loss_augments_batch_observations_in_place_as_the_reference():
    torch.manual_seed(0)
    obs = TensorDict({"policy": torch.randn(5, 3)}, batch_size=[5])
    weights = torch.randn(3, 2)

    def actor(observations):
        return torch.tanh(observations["policy"] @ weights)

    results = {}
    for name, symmetry_class in (("reference", rsl_rl.extensions.Symmetry), ("ours", rsl_sim.extensions.Symmetry)):
        symmetry = symmetry_class(env=None, data_augmentation_func=mirror, use_mirror_loss=True, mirror_loss_coeff=1.0)
        batch = SimpleNamespace(observations=obs.clone(), actions=torch.zeros(5, 2))
        loss = symmetry.compute_loss(actor, batch, original_batch_size=5)
        results[name] = (loss, batch.observations)
    (ref_loss, ref_obs), (our_loss, our_obs) = results["reference"], results["ours"]
    assert our_obs.batch_size == ref_obs.batch_size == torch.Size([10])
    assert torch.equal(our_obs["policy"], ref_obs["policy"])
    assert torch.equal(our_obs["policy"][:5], obs["policy"])  # originals first
    assert torch.allclose(our_loss, ref_loss) and our_loss > 0


def _public_functions(module) -> dict[str, object]:
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__.startswith("rsl_rl") and not name.startswith("__")
    }


REFERENCE_NAMESPACES = [
    "rsl_rl.utils",
    "rsl_rl.modules",
    "rsl_rl.models",
    "rsl_rl.extensions",
    "rsl_rl.modules.cnn",
    "rsl_rl.modules.mlp",
    "rsl_rl.modules.rnn",
    "rsl_rl.models.mlp_model",
]


@pytest.mark.parametrize("namespace", REFERENCE_NAMESPACES)
def test_module_level_helpers_of_the_reference_exist_with_compatible_signatures(namespace):
    ours = importlib.import_module(namespace.replace("rsl_rl", "rsl_sim", 1))
    for name, reference in _public_functions(importlib.import_module(namespace)).items():
        assert hasattr(ours, name), f"{namespace}.{name} has no counterpart in {ours.__name__}"
        ref_params = list(inspect.signature(reference).parameters.values())
        our_params = list(inspect.signature(getattr(ours, name)).parameters.values())
        # The reference's parameters, in order, then only optional extras; the same defaults
        assert [p.name for p in our_params[: len(ref_params)]] == [p.name for p in ref_params], name
        for ref, our in zip(ref_params, our_params):
            if ref.default is not inspect.Parameter.empty:  # a required argument may get a default here
                assert our.default == ref.default, f"{name}({ref.name}=...) default differs"
        assert all(
            p.default is not inspect.Parameter.empty or p.kind == p.VAR_KEYWORD for p in our_params[len(ref_params) :]
        )


def test_cnn_size_helpers_compute_the_references_values():
    for size in range(3, 20):
        for kernel in (1, 2, 3, 5):
            for stride in (1, 2, 3):
                for dilation in (1, 2):
                    hw = (size, size + 1)
                    ref_pad = ref_cnn._compute_padding(hw, kernel, stride, dilation)
                    our_pad = our_cnn._compute_padding(hw, kernel, stride, dilation)
                    assert our_pad == tuple(max(0, p) for p in ref_pad)  # negative padding: Conv2d refuses it
                    for pool in (False, True):
                        args = (hw, kernel, stride, dilation, our_pad)
                        expected = ref_cnn._compute_output_dim(*args, is_max_pool=pool)
                        assert our_cnn._compute_output_dim(*args, is_max_pool=pool) == expected


def test_cnn_output_dim_agrees_with_the_built_network():
    cnn = our_cnn.CNN((13, 10), 2, [4, 6], kernel_size=[3, 5], stride=[2, 1], padding="zeros", max_pool=[True, False])
    assert cnn(torch.zeros(1, 2, 13, 10)).shape[1] == cnn.output_dim
    size = (13, 10)
    for kernel, stride, pool in ((3, 2, True), (5, 1, False)):
        size = our_cnn._compute_output_dim(
            size, kernel, stride, 1, our_cnn._compute_padding(size, kernel, stride, 1), pool
        )
    assert cnn.output_dim == 6 * size[0] * size[1]


def test_shared_defaults_equal_the_references_and_the_differences_are_documented():
    # Every argument the reference has keeps its default
    for ours, reference in (
        (rsl_sim.algorithms.PPO, rsl_rl.algorithms.PPO),
        (rsl_sim.algorithms.Distillation, rsl_rl.algorithms.Distillation),
        (rsl_sim.runners.OnPolicyRunner, rsl_rl.runners.OnPolicyRunner),
    ):
        ref = inspect.signature(reference.__init__).parameters
        our = inspect.signature(ours.__init__).parameters
        for name, parameter in ref.items():
            assert our[name].default == parameter.default, f"{ours.__name__}({name}) default differs from 5.5.1"
    # The behaviour-changing addition is on by default, and the architecture page says so (and ppo.py agrees)
    default = inspect.signature(rsl_sim.algorithms.PPO.__init__).parameters["bootstrap_time_outs_from_final_obs"]
    architecture = " ".join((ROOT / "docs" / "architecture.md").read_text().split())
    assert f"PPO(bootstrap_time_outs_from_final_obs={default.default})" in architecture
    assert re.search(r"exact time-out bootstrap .* is on by default", architecture)
    docstring = " ".join(inspect.getdoc(rsl_sim.algorithms.PPO).split())
    assert "on by default" in docstring and "keep the 5.x behaviour" not in docstring
