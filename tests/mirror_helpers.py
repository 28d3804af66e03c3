"""Helpers of the left-right mirror tests (Go2, G1): a physics check that a state, its mirror image and mirrored
actions give mirrored observations, on a model made exactly symmetric first (import with ``from mirror_helpers ...``).
"""

from __future__ import annotations

from collections.abc import Callable

import mujoco
import numpy as np
import torch
from tensordict import TensorDict

from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

# a point or vector (x, y, z) mirrored in the sagittal plane y = 0
REFLECT = np.diag([1.0, -1.0, 1.0])


def to_tensordict(obs: dict[str, np.ndarray]) -> TensorDict:
    """The env's observation groups ``{name: [N, ...]}`` as a TensorDict of batch size ``[N]``."""
    groups = {name: torch.as_tensor(value) for name, value in obs.items()}
    return TensorDict(groups, batch_size=[len(next(iter(groups.values())))])


def symmetrize_inertial_frames(env: VelocityEnv, partner: list[int], is_left: Callable[[str], bool]) -> None:
    """Make every world's inertial frames exactly left-right symmetric, then recompute the model's constants.

    Right bodies (the partners of the bodies whose name ``is_left``) get the mirrored inertial frames of their left
    partners; bodies on the sagittal plane (their own partner) a symmetrized inertia and centre of mass.
    """
    model = env.model
    names = [model.body(i).name for i in range(model.nbody)]
    ipos, iquat = env.sim.model_field("body_ipos"), env.sim.model_field("body_iquat")
    inertia = env.sim.model_field("body_inertia")

    def full_inertia(body):
        rotation = np.zeros(9)
        mujoco.mju_quat2Mat(rotation, model.body_iquat[body])
        rotation = rotation.reshape(3, 3)
        return rotation @ np.diag(model.body_inertia[body]) @ rotation.T

    def write(body, tensor, com):
        values, vectors = np.linalg.eigh(tensor)
        if np.linalg.det(vectors) < 0.0:
            vectors[:, 0] *= -1.0
        quat = np.zeros(4)
        mujoco.mju_mat2Quat(quat, vectors.ravel())
        ipos[:, body], iquat[:, body], inertia[:, body] = com, quat, values

    for body in range(1, model.nbody):
        tensor, com = full_inertia(body), model.body_ipos[body]
        if partner[body] == body:
            write(body, (tensor + REFLECT @ tensor @ REFLECT) / 2, (com + REFLECT @ com) / 2)
        elif is_left(names[body]):
            write(partner[body], REFLECT @ tensor @ REFLECT, REFLECT @ com)
    env.sim.set_const()
    env.robot.base_com_b[:] = ipos[:, env.robot.base_body_id]


def start_mirrored_pair(env: VelocityEnv, perm: np.ndarray, sign: np.ndarray) -> None:
    """Put env 1 (of a 2-env batch, after reset) in the mirror image of env 0's state, with mirrored commands.

    Base y, roll and yaw flip; joints swap sides by ``perm`` and ``sign`` (the layout's ``joint_mirror``). Env 0
    is commanded ``(0.6, 0.3, 0.4)`` (v_x [m/s], v_y [m/s], w_z [rad/s]), env 1 ``(0.6, -0.3, -0.4)``.
    """
    robot = env.robot
    qpos, qvel = env.sim.qpos, env.sim.qvel
    qpos[1], qvel[1] = qpos[0], qvel[0]
    qpos[1, 1] = -qpos[0, 1]
    qpos[1, 3:7] = qpos[0, 3:7] * [1.0, -1.0, 1.0, -1.0]
    qvel[1, 1] = -qvel[0, 1]
    qvel[1, 3:6] = qvel[0, 3:6] * [-1.0, 1.0, -1.0]
    qpos[1, robot.qpos_ids] = qpos[0, robot.qpos_ids][perm] * sign
    qvel[1, robot.dof_ids] = qvel[0, robot.dof_ids][perm] * sign
    robot.update()
    env._reset_sensors(np.arange(2))
    command_b = env.command_manager["base_velocity"].vel_command_b
    command_b[0] = [0.6, 0.3, 0.4]
    command_b[1] = [0.6, -0.3, -0.4]


def largest_mirrored_obs_error(
    env: VelocityEnv, mirror, perm: np.ndarray, sign: np.ndarray, steps: int, action_std: float
) -> float:
    """Step a mirrored pair (see :func:`start_mirrored_pair`) with random actions ``N(0, action_std)`` for env 0 and
    their mirror image for env 1: the largest difference between env 1's observations and the mirror of env 0's.

    No episode may end during the ``steps`` steps (asserted).
    """
    rng = np.random.default_rng(0)
    largest = 0.0
    for _ in range(steps):
        action = rng.normal(0.0, action_std, len(perm))
        obs, _, terminated, truncated, _ = env.step(np.stack([action, action[perm] * sign]))
        assert not (terminated.any() or truncated.any())
        obs = to_tensordict(obs)
        mirrored = mirror.mirror_observations(obs[0:1])[0]
        for group in obs.keys():
            largest = max(largest, (mirrored[group][0] - obs[group][1]).abs().max().item())
    return largest
