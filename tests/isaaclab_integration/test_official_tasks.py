"""Isaac Lab's own tasks (not configs of this project) train through IsaacLabVecEnvWrapper with rsl_sim's runner.

Cartpole, the MuJoCo-style Humanoid and Boston Dynamics' Spot, each with Isaac Lab's registered env and RSL-RL agent
config unchanged (device cpu, a few envs, two iterations), on the offline assets that
``scripts/install_isaaclab.sh`` builds (``scripts/build_isaaclab_assets.py``). Each test also checks one physical fact
of the task, so that a wrong asset (wrong joint axis, a robot that does not stand) fails here and not only later in
training.
"""

from __future__ import annotations

import pytest
import torch

from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper
from rsl_sim.wrappers.isaaclab_cfg import agent_cfg_to_dict

NUM_ENVS = 4
NUM_ITERATIONS = 2


def train(env, task: str, tmp_path) -> tuple[IsaacLabVecEnvWrapper, list[dict]]:
    """Train ``NUM_ITERATIONS`` with the task's registered RSL-RL agent config; return the wrapper and the losses."""
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    from rsl_sim.runners import OnPolicyRunner

    agent_cfg = load_cfg_from_registry(task, "rsl_rl_cfg_entry_point")
    agent_cfg.device = "cpu"
    wrapper = IsaacLabVecEnvWrapper(env, clip_actions=agent_cfg.clip_actions)
    runner = OnPolicyRunner(wrapper, agent_cfg_to_dict(agent_cfg), log_dir=str(tmp_path), device="cpu")
    before = {name: value.clone() for name, value in runner.alg.get_policy().state_dict().items()}
    losses: list[dict] = []
    update = runner.alg.update
    runner.alg.update = lambda *args, **kwargs: losses.append(update(*args, **kwargs)) or losses[-1]
    runner.learn(num_learning_iterations=NUM_ITERATIONS, init_at_random_ep_len=True)

    # Every update returned finite losses, the actor moved, and the checkpoints are there
    assert len(losses) == NUM_ITERATIONS
    for iteration in losses:
        assert all(torch.isfinite(torch.as_tensor(value)).all() for value in iteration.values()), iteration
    after = runner.alg.get_policy().state_dict()
    assert any(not torch.equal(before[name], after[name]) for name in before)
    assert (tmp_path / f"model_{NUM_ITERATIONS - 1}.pt").is_file()
    return wrapper, losses


def test_cartpole_trains_and_the_cart_follows_the_force(make_isaaclab_env, tmp_path):
    with make_isaaclab_env("Isaac-Cartpole", num_envs=NUM_ENVS) as env:
        robot = env.unwrapped.scene["robot"]
        assert robot.joint_names == ["slider_to_cart", "cart_to_pole"]
        wrapper, _ = train(env, "Isaac-Cartpole", tmp_path)
        assert wrapper.get_observations()["policy"].shape == (NUM_ENVS, 4)

        # A positive force on the slider accelerates the cart in +x, a negative one in -x
        wrapper.reset()
        push = torch.tensor([[1.0], [-1.0], [1.0], [-1.0]])
        for _ in range(5):
            wrapper.step(push)
        cart_velocity = _array(robot.data.joint_vel)[:, 0]
        assert torch.all(torch.sign(cart_velocity) == push[:, 0]), cart_velocity


def test_humanoid_trains_with_isaac_sims_joint_names(make_isaaclab_env, tmp_path):
    with make_isaaclab_env("Isaac-Humanoid", num_envs=NUM_ENVS) as env:
        robot = env.unwrapped.scene["robot"]
        # The 21 joints that Isaac Lab's humanoid gear and actuator tables address (Isaac Sim's names)
        assert sorted(robot.joint_names) == sorted(
            [f"{side}_{joint}" for side in ("left", "right") for joint in ("upper_arm:0", "upper_arm:1", "lower_arm")]
            + ["lower_waist:0", "lower_waist:1", "pelvis"]
            + [f"{side}_{joint}" for side in ("left", "right") for joint in ("thigh:0", "thigh:1", "thigh:2", "shin")]
            + [f"{side}_foot:{axis}" for side in ("left", "right") for axis in (0, 1)]
        )
        wrapper, _ = train(env, "Isaac-Humanoid", tmp_path)
        assert wrapper.num_actions == 21 and wrapper.get_observations()["policy"].shape == (NUM_ENVS, 87)


def test_spot_trains_and_stands_on_its_feet(make_isaaclab_env, tmp_path):
    # Spot's default physics is PhysX (Isaac Sim); its own newton_mjwarp preset runs it on the CPU
    with make_isaaclab_env(
        "IsaacContrib-Velocity-Flat-Spot", num_envs=NUM_ENVS, overrides=["presets=newton_mjwarp"]
    ) as env:
        robot = env.unwrapped.scene["robot"]
        assert robot.joint_names == [
            f"{leg}_{joint}" for leg in ("fl", "fr", "hl", "hr") for joint in ("hx", "hy", "kn")
        ]
        wrapper, _ = train(env, "IsaacContrib-Velocity-Flat-Spot", tmp_path)
        assert wrapper.num_actions == 12

        # Zero actions hold the default standing pose. The task's resets throw the robot (base velocities up to
        # 1.5 m/s, joint velocities up to 2.5 rad/s), so forces jump from step to step; but a robot whose asset is
        # wrong (joint axes, default pose, feet) collapses: each base must stay above 0.25 m and average 0.3-0.7 m
        # (Spot stands about 0.5 m tall), and each robot's feet must carry, on average, a good part of its weight
        wrapper.reset()
        sensor = env.unwrapped.scene["contact_forces"]
        feet = sensor.find_bodies(".*_foot")[0]
        weight = float(_array(robot.data.default_mass)[0].sum()) * 9.81
        heights, foot_forces = [], []
        for step in range(60):
            wrapper.step(torch.zeros(NUM_ENVS, 12))
            if step >= 20:
                heights.append(_array(robot.data.root_pos_w)[:, 2].clone())
                foot_forces.append(_array(sensor.data.net_forces_w)[:, feet, 2].sum(dim=1).clone())
        heights = torch.stack(heights)
        assert torch.all(heights > 0.25), heights
        assert torch.all((heights.mean(dim=0) > 0.3) & (heights.mean(dim=0) < 0.7)), heights.mean(dim=0)
        assert torch.all(torch.stack(foot_forces).mean(dim=0) > 0.2 * weight), (torch.stack(foot_forces), weight)


def _array(value):
    """A torch view of an Isaac Lab data field (a warp array or a tensor)."""
    if isinstance(value, torch.Tensor):
        return value
    import warp as wp

    return wp.to_torch(value)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
