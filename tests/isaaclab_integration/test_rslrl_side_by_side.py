"""rsl_sim next to Isaac Lab's own RSL-RL path on the same Isaac Lab task, seed and iterations: the same losses.

Isaac Lab's path is what its ``train`` entry point builds: ``isaaclab_rl.rsl_rl.RslRlVecEnvWrapper`` around the env and
rsl-rl-lib 5.5.1's ``OnPolicyRunner`` from the registered agent config (``handle_deprecated_rsl_rl_cfg`` and
``create_rsl_rl_runner``). rsl_sim's path is ``IsaacLabVecEnvWrapper`` and ``rsl_sim.runners.OnPolicyRunner`` from
:func:`~rsl_sim.wrappers.isaaclab_cfg.agent_cfg_to_dict` of the same config. Each path gets a freshly built env with
the same seed (Isaac Lab seeds torch, numpy and warp when it builds the env), so both draw the same random numbers in
the same order: same initial weights, same sampled actions, same resets. The losses of the first iterations must then
agree to float rounding (the two libraries sum in different orders in places).
"""

from __future__ import annotations

import importlib.metadata

import pytest

TASK = "Isaac-Cartpole"
NUM_ENVS = 8
NUM_ITERATIONS = 3

pytest.importorskip("rsl_rl", reason="the reference learner (rsl-rl-lib 5.5.1, in the test extra)")


def run(make_isaaclab_env, library: str) -> list[dict[str, float]]:
    """Train ``NUM_ITERATIONS`` on a fresh env with ``library``'s wrapper and runner; return each update's losses."""
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    agent_cfg = load_cfg_from_registry(TASK, "rsl_rl_cfg_entry_point")
    agent_cfg.device = "cpu"
    with make_isaaclab_env(TASK, num_envs=NUM_ENVS) as env:  # env seed 0 (conftest)
        if library == "rsl_rl":
            from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper
            from isaaclab_rl.rsl_rl.utils import create_rsl_rl_runner, handle_deprecated_rsl_rl_cfg

            agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, importlib.metadata.version("rsl-rl-lib"))
            wrapped = RslRlVecEnvWrapper(env, clip_actions=agent_cfg.clip_actions)
            runner = create_rsl_rl_runner(wrapped, agent_cfg, log_dir=None)
        else:
            from rsl_sim.runners import OnPolicyRunner
            from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper
            from rsl_sim.wrappers.isaaclab_cfg import agent_cfg_to_dict

            wrapped = IsaacLabVecEnvWrapper(env, clip_actions=agent_cfg.clip_actions)
            runner = OnPolicyRunner(wrapped, agent_cfg_to_dict(agent_cfg), log_dir=None, device="cpu")
        losses: list[dict[str, float]] = []
        update = runner.alg.update
        runner.alg.update = lambda *args, **kwargs: losses.append(update(*args, **kwargs)) or losses[-1]
        runner.learn(num_learning_iterations=NUM_ITERATIONS, init_at_random_ep_len=agent_cfg.init_at_random_ep_len)
    return [{name: float(value) for name, value in iteration.items()} for iteration in losses]


def test_first_iterations_losses_equal_isaaclab_rl_with_rsl_rl_lib(make_isaaclab_env):
    assert importlib.metadata.version("rsl-rl-lib") == "5.5.1"
    theirs = run(make_isaaclab_env, "rsl_rl")
    ours = run(make_isaaclab_env, "rsl_sim")
    assert len(ours) == len(theirs) == NUM_ITERATIONS
    for iteration, (our_losses, their_losses) in enumerate(zip(ours, theirs)):
        assert set(their_losses) <= set(our_losses), f"iteration {iteration}: {sorted(our_losses)}"
        for name, value in their_losses.items():
            assert our_losses[name] == pytest.approx(value, rel=1e-5, abs=1e-7), (iteration, name, ours, theirs)
    # Not a trivial agreement: the losses move between iterations
    assert theirs[0] != theirs[-1]
