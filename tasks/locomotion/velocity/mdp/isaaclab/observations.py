"""Observation terms of the Isaac Lab Go2 tasks that Isaac Lab's ``mdp`` does not have, named as on CPU MuJoCo.

The CPU tasks (:mod:`rsl_sim.tasks.locomotion.velocity.mdp.observations`) give the privileged ``critic`` group three
terms and the
camera student a depth image; these are the same quantities read from Isaac Lab's scene:

- :func:`contact_forces`: net contact forces of the selected contact-sensor bodies, world frame [N];
- :class:`friction_coefficient`: the friction coefficient of the robot's selected shapes (Newton ``shape_material_mu``);
- :class:`added_base_mass`: base mass minus the base mass before the startup randomization [kg];
- :func:`depth_image`: a ray-cast depth image normalized to [0, 1], channels-last ``[N, H, W, 1]`` (Isaac Lab's camera
  layout; rsl_sim's Isaac Lab wrapper hands it to the learner as ``[N, 1, H, W]``).

The function (class) names are the CPU terms' names, which is how the Go2 mirror
(:mod:`rsl_sim.tasks.locomotion.velocity.config.go2.mirror`) recognises a term. This module imports Isaac Lab: only the
env configs import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase, ObservationTermCfg, SceneEntityCfg

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedEnv


def contact_forces(env: ManagerBasedEnv, sensor_cfg: SceneEntityCfg) -> torch.Tensor:
    """Net contact forces on the selected bodies of a contact sensor, world frame [N].

    Args:
        env: The environment.
        sensor_cfg: The contact sensor and its bodies (``body_names``; use ``preserve_order=True`` for a fixed order).

    Returns:
        Forces ``[num_envs, 3 * num_bodies]``: ``(f_x, f_y, f_z)`` of the first body, then of the next, ...
    """
    forces = env.scene.sensors[sensor_cfg.name].data.net_forces_w.torch[:, sensor_cfg.body_ids]
    return forces.reshape(env.num_envs, -1)


def depth_image(env: ManagerBasedEnv, sensor_cfg: SceneEntityCfg, near: float, far: float) -> torch.Tensor:
    """Depth image of a ray-cast camera normalized to [0, 1]: 0 at or closer than ``near``, 1 at or beyond ``far``.

    Same normalization as the CPU depth camera (:class:`~rsl_sim.tasks.mujoco.depth_camera.DepthCamera`):
    ``(clip(depth, near, far) - near) / (far - near)``; rays that hit nothing (``inf``, or the camera's
    ``max_distance`` with ``depth_clipping_behavior="max"``) give 1.

    Args:
        env: The environment.
        sensor_cfg: The camera (a ``RayCasterCamera``); its first data type is read (``"distance_to_image_plane"`` or
            ``"distance_to_camera"``).
        near: Near clipping distance [m].
        far: Far clipping distance [m].

    Returns:
        Float tensor ``[num_envs, H, W, 1]`` in [0, 1].

    Raises:
        ValueError: If ``0 <= near < far`` does not hold.
    """
    if not 0.0 <= near < far:
        raise ValueError(f"depth_image needs 0 <= near < far, got near={near}, far={far}.")
    camera = env.scene.sensors[sensor_cfg.name]
    depth = camera.data.output[camera.cfg.data_types[0]].torch
    return (depth.clamp(near, far) - near) / (far - near)


class friction_coefficient(ManagerTermBase):  # noqa: N801  (Isaac Lab names class terms like functions)
    """Friction coefficient of the robot's ground contacts, averaged over the selected shapes, ``[num_envs, 1]``.

    Newton (the physics here) keeps one friction coefficient per collision shape (``shape_material_mu``), which Isaac
    Lab's ``randomize_rigid_body_material`` event samples per shape. Newton's MuJoCo solver gives a contact the larger
    of its two shapes' coefficients (``contact_params`` in ``newton/_src/solvers/mujoco/kernels.py``; PhysX would
    combine them by the materials' combine mode instead), so a robot shape of 0.8 on ground of 1.0 slides at 1.0. This
    term returns what the contacts use: for each shape of the bodies selected by ``asset_cfg`` (the feet on the Go2
    tasks: the contacts that carry the robot) the larger of its coefficient and the ground's (the largest coefficient
    of the static shapes), averaged over the shapes; the counterpart of the CPU task's single per-env coefficient.

    Params:
        asset_cfg: The articulation and its bodies (resolved by the observation manager).

    Raises:
        ValueError: If the physics backend does not expose Newton's per-shape friction (e.g. PhysX).
    """

    def __init__(self, cfg: ObservationTermCfg, env: ManagerBasedEnv) -> None:
        super().__init__(cfg, env)
        asset_cfg: SceneEntityCfg = cfg.params["asset_cfg"]
        asset = env.scene[asset_cfg.name]
        root_view = getattr(asset, "_root_view", None)
        manager = env.sim.physics_manager
        if not (hasattr(root_view, "get_attribute") and hasattr(manager, "get_model")):
            raise ValueError(
                "observations term friction_coefficient reads Newton's per-shape friction ('shape_material_mu'); the"
                f" physics backend of this env ({type(manager).__name__}) does not expose it. Use the Newton physics"
                " preset or remove the term."
            )
        # Newton's friction per env and shape, as a torch view of the model's memory (the events write into it)
        import warp as wp

        self._binding = root_view.get_attribute("shape_material_mu", manager.get_model())[:, 0]
        self._friction = wp.to_torch(self._binding)

        # The shapes of the selected bodies, in the backend's shape order (as Isaac Lab's material event selects them)
        body_ids = asset.map_body_ids_to_backend(asset_cfg.body_ids)
        if isinstance(body_ids, slice):
            body_ids = range(len(root_view.body_shapes))[body_ids]
        shapes = [shape for body in body_ids for shape in root_view.body_shapes[body]]
        if not shapes:
            raise ValueError(f"observations term friction_coefficient: bodies {asset_cfg.body_names} have no shapes.")
        self._shape_ids = torch.tensor(shapes, dtype=torch.long, device=env.device)

        # The ground's coefficient: the static shapes (no body) of the model, which no robot event changes
        model = manager.get_model()
        static = wp.to_torch(model.shape_body) < 0
        self._ground_friction = float(wp.to_torch(model.shape_material_mu)[static].max()) if bool(static.any()) else 0.0

    def __call__(self, env: ManagerBasedEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
        """Mean friction coefficient the selected shapes' ground contacts use, ``[num_envs, 1]``."""
        return self._friction[:, self._shape_ids].clamp(min=self._ground_friction).mean(dim=1, keepdim=True)


class added_base_mass(ManagerTermBase):  # noqa: N801  (Isaac Lab names class terms like functions)
    """Mass of the selected body minus its mass when the term was built [kg], ``[num_envs, num_bodies]``.

    The observation manager builds its terms before the env applies its ``"startup"`` events, so the reference is the
    asset's mass before Isaac Lab's ``randomize_rigid_body_mass`` event (``add_base_mass``) changed it.

    Params:
        asset_cfg: The articulation and the body (the Go2 tasks select ``"base"``: ``[num_envs, 1]``).
    """

    def __init__(self, cfg: ObservationTermCfg, env: ManagerBasedEnv) -> None:
        super().__init__(cfg, env)
        asset_cfg: SceneEntityCfg = cfg.params["asset_cfg"]
        self._default_mass = env.scene[asset_cfg.name].data.body_mass.torch[:, asset_cfg.body_ids].clone()

    def __call__(self, env: ManagerBasedEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
        """Mass change of the selected bodies [kg], ``[num_envs, num_bodies]``."""
        return env.scene[asset_cfg.name].data.body_mass.torch[:, asset_cfg.body_ids] - self._default_mass
