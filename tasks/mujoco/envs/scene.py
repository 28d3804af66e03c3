"""Build the MuJoCo model of the velocity task: one robot, its DC-motor actuators, the ground, contacts and sensors.

Two models come from one builder: the physics model (collision shapes only; meshes, materials and visual geoms
removed) that the batched simulation steps, and the visual model (meshes kept, textured ground, light) that the
offscreen renderer draws with the physics model's ``qpos``.

Physics choices (documented in the task README and the env docstring):

- Actuators: MuJoCo's ``dcmotor`` actuator with a torque-space PD controller on a position setpoint. With
  ``motorconst`` ``K = 1``, ``resistance`` ``R = v_max / tau_stall`` and a drive-voltage limit ``v_max`` it applies
  ``clip(kp (q* - q) - kd qd, tau_stall (-1 - qd / v_max), tau_stall (1 - qd / v_max))`` clipped to
  ``+-effort_limit`` at every physics step: exactly Isaac Lab's ``DCMotor`` model, computed inside the C step.
  Implicit groups (Isaac Lab's ``ImplicitActuator``) get a ``position`` actuator (``kp``, ``kv``, force range
  ``+-effort_limit``): the PD force is computed in the step and ``implicitfast`` integrates its damping implicitly.
- Contacts: explicit ``<pair>`` contacts between the ground and each robot collision geom (no self-collisions, as
  Isaac Lab's Go2 disables them); automatic collision detection is off (``contype = conaffinity = 0``), which skips
  MuJoCo's broad phase. Per-env friction lives in ``pair_friction``.
- Contact sensors: one MuJoCo ``contact`` sensor per sensed robot body (``reduce="netforce"``, data ``force``): the
  net contact force on the body in the world frame, for the bodies the task's contact sensor tracks (all by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from rsl_sim.tasks.assets.robot_cfg import ImplicitActuatorCfg, RobotAssetCfg, resolve_joint_values, resolve_names
from rsl_sim.tasks.mujoco.managers.term_cfg import PhysicsCfg, TerrainCfg
from rsl_sim.tasks.mujoco.terrain import TerrainGenerator

# Names given to the scene's own elements
GROUND_GEOM_NAME = "terrain"
CONTACT_SENSOR_PREFIX = "contact/"

_INTEGRATORS = {
    "euler": mujoco.mjtIntegrator.mjINT_EULER,
    "rk4": mujoco.mjtIntegrator.mjINT_RK4,
    "implicit": mujoco.mjtIntegrator.mjINT_IMPLICIT,
    "implicitfast": mujoco.mjtIntegrator.mjINT_IMPLICITFAST,
}
_CONES = {"pyramidal": mujoco.mjtCone.mjCONE_PYRAMIDAL, "elliptic": mujoco.mjtCone.mjCONE_ELLIPTIC}
# contact sensor integer parameters: data bits (force = 2), reduction (netforce = 3), number of slots
_CONTACT_DATA_FORCE = 2
_CONTACT_REDUCE_NETFORCE = 3
# dcmotor input signature: a position setpoint only (ctrl = target joint position)
_DCMOTOR_INPUT_POS = 1


@dataclass
class SceneLayout:
    """Names of the built model's elements that the task addresses.

    Attributes:
        body_names: Robot bodies in MuJoCo order (without the world body).
        collision_geom_names: Robot collision geoms, one contact pair each with the ground.
        contact_body_names: Robot bodies with a contact sensor, in MuJoCo order (the order of ``sensordata``).
        contact_sensor_names: Contact sensors, one per entry of ``contact_body_names``.
    """

    body_names: tuple[str, ...]
    collision_geom_names: tuple[str, ...]
    contact_body_names: tuple[str, ...]
    contact_sensor_names: tuple[str, ...]


def build_scene(
    robot: RobotAssetCfg,
    terrain: TerrainCfg,
    physics: PhysicsCfg,
    *,
    contact_bodies: str | tuple[str, ...] = ".*",
    visual: bool = False,
    offscreen_size: tuple[int, int] = (640, 480),
    terrain_generator: TerrainGenerator | None = None,
) -> tuple[mujoco.MjModel, SceneLayout]:
    """Compile the task's MuJoCo model.

    Args:
        robot: The robot asset (MJCF path, joints, actuators).
        terrain: The ground.
        physics: Time step and solver settings.
        contact_bodies: Regular expression(s) over the robot's body names: the bodies that get a contact sensor.
        visual: Build the visual model (meshes, textures) instead of the physics model.
        offscreen_size: Largest ``(width, height)`` [px] the visual model can render offscreen.
        terrain_generator: The built terrain, for ``terrain.terrain_type == "generator"`` (its height field becomes
            the ground geom).

    Returns:
        ``(model, layout)``.

    Raises:
        ValueError: If the MJCF path is missing, the ground type is unknown, a generator terrain comes without its
            ``terrain_generator``, a physics option is invalid, or the robot config names joints the model does not
            have.
    """
    if robot.mjcf_path is None:
        raise ValueError("scene.robot.mjcf_path is None: set the robot's MJCF file (e.g. go2_asset_cfg()).")
    spec = mujoco.MjSpec.from_file(str(robot.mjcf_path))

    # Drop what the task defines itself: sensors, keyframes, actuators
    for element in [*spec.sensors, *spec.keys, *spec.actuators]:
        spec.delete(element)

    # Split geoms into collision and visual ones (visual: no collision bits in the source file)
    geoms = [g for g in spec.geoms if spec.worldbody is not g.parent]
    visual_geoms = [g for g in geoms if g.contype == 0 and g.conaffinity == 0]
    collision_geoms = [g for g in geoms if not (g.contype == 0 and g.conaffinity == 0)]
    if not visual:
        for geom in visual_geoms:
            spec.delete(geom)
        _delete_unused_assets(spec)

    # Collision geoms: named, and out of automatic collision detection (explicit pairs below)
    collision_names = []
    for index, geom in enumerate(collision_geoms):
        if not geom.name:
            geom.name = f"robot_collision_{index}"
        geom.contype = 0
        geom.conaffinity = 0
        collision_names.append(geom.name)

    _set_physics_options(spec, physics)
    _set_joints_and_actuators(spec, robot)
    _add_ground(spec, terrain, terrain_generator, visual=visual)
    if visual:
        spec.visual.global_.offwidth = max(int(offscreen_size[0]), spec.visual.global_.offwidth)
        spec.visual.global_.offheight = max(int(offscreen_size[1]), spec.visual.global_.offheight)

    # Ground contact pairs, friction randomized per env later (pair_friction)
    for name in collision_names:
        pair = spec.add_pair(geomname1=GROUND_GEOM_NAME, geomname2=name)
        pair.condim = 3
        pair.friction = [terrain.static_friction, terrain.static_friction, 0.005, 0.0001, 0.0001]

    # One net-contact-force sensor per selected robot body
    body_names = tuple(b.name for b in spec.bodies if b.name != "world")
    sensed = tuple(body_names[i] for i in resolve_names(contact_bodies, body_names, key="contact_forces.body_names"))
    sensor_names = []
    for body_name in sensed:
        sensor = spec.add_sensor(
            name=CONTACT_SENSOR_PREFIX + body_name,
            type=mujoco.mjtSensor.mjSENS_CONTACT,
            objtype=mujoco.mjtObj.mjOBJ_BODY,
            objname=body_name,
        )
        sensor.intprm[0] = _CONTACT_DATA_FORCE
        sensor.intprm[1] = _CONTACT_REDUCE_NETFORCE
        sensor.intprm[2] = 1
        sensor_names.append(sensor.name)

    model = spec.compile()
    return model, SceneLayout(body_names, tuple(collision_names), sensed, tuple(sensor_names))


def _delete_unused_assets(spec: mujoco.MjSpec) -> None:
    """Delete meshes, materials and textures that no remaining geom uses."""
    used_meshes = {g.meshname for g in spec.geoms if g.type == mujoco.mjtGeom.mjGEOM_MESH}
    for mesh in list(spec.meshes):
        if mesh.name not in used_meshes:
            spec.delete(mesh)
    used_materials = {g.material for g in spec.geoms if g.material}
    for material in list(spec.materials):
        if material.name not in used_materials:
            spec.delete(material)
    for texture in list(spec.textures):
        spec.delete(texture)


def _set_physics_options(spec: mujoco.MjSpec, physics: PhysicsCfg) -> None:
    """Write the time step and solver settings."""
    if physics.integrator not in _INTEGRATORS:
        raise ValueError(f"physics.integrator={physics.integrator!r}; choose one of {sorted(_INTEGRATORS)}.")
    if physics.cone not in _CONES:
        raise ValueError(f"physics.cone={physics.cone!r}; choose one of {sorted(_CONES)}.")
    if physics.dt <= 0.0:
        raise ValueError(f"physics.dt must be > 0, got {physics.dt}.")
    spec.option.timestep = physics.dt
    spec.option.integrator = _INTEGRATORS[physics.integrator]
    spec.option.cone = _CONES[physics.cone]
    spec.option.impratio = physics.impratio
    spec.option.iterations = physics.iterations
    spec.option.ls_iterations = physics.ls_iterations
    spec.option.tolerance = physics.tolerance


def actuator_parameters(robot: RobotAssetCfg) -> dict[str, np.ndarray]:
    """Per-joint actuator parameters from the robot's actuator groups, in the robot's joint order.

    Args:
        robot: The robot asset config.

    Returns:
        ``stiffness``, ``damping``, ``effort_limit``, ``saturation_effort`` (NaN for implicit drives),
        ``velocity_limit``, ``friction``, ``armature`` (NaN: keep the model's) and ``implicit`` (1.0 where the joint's
        group is an :class:`~rsl_sim.tasks.assets.robot_cfg.ImplicitActuatorCfg`), each ``[num_joints]``.

    Raises:
        ValueError: If a joint is in no group or in two groups, or a pattern matches no joint.
    """
    joint_names = list(robot.joint_names)
    if not robot.actuators:
        raise ValueError("robot.actuators is empty: every joint needs an actuator group.")
    fields = ("stiffness", "damping", "effort_limit", "saturation_effort", "velocity_limit", "friction", "armature")
    values = {name: np.full(len(joint_names), np.nan) for name in fields}
    values["implicit"] = np.zeros(len(joint_names))
    owner: list[str | None] = [None] * len(joint_names)
    for group_name, group in robot.actuators.items():
        patterns = {pattern: 1.0 for pattern in group.joint_names_expr}
        members = ~np.isnan(resolve_joint_values(patterns, joint_names, key=f"actuators.{group_name}", required=False))
        for i in np.flatnonzero(members):
            if owner[i] is not None:
                raise ValueError(f"Joint {joint_names[i]!r} is in actuator groups {owner[i]!r} and {group_name!r}.")
            owner[i] = group_name
        values["implicit"][members] = float(isinstance(group, ImplicitActuatorCfg))
        for name in fields:
            value = getattr(group, name, None)
            if value is None:
                continue
            resolved = resolve_joint_values(value, joint_names, key=f"actuators.{group_name}.{name}", required=False)
            values[name][members] = resolved[members]
    if None in owner:
        raise ValueError(f"Joints {[n for n, o in zip(joint_names, owner) if o is None]} have no actuator group.")
    return values


def _set_joints_and_actuators(spec: mujoco.MjSpec, robot: RobotAssetCfg) -> None:
    """Set joint friction/damping/armature and add one actuator per joint.

    A DC-motor group gets MuJoCo's ``dcmotor`` actuator (Isaac Lab's ``DCMotor``); an implicit group a ``position``
    actuator with ``kp``, ``kv`` and a force range of ``+-effort_limit`` (Isaac Lab's ``ImplicitActuator``).
    """
    joint_names = list(robot.joint_names)
    model_joints = {j.name for j in spec.joints if j.type == mujoco.mjtJoint.mjJNT_HINGE}
    missing = [name for name in joint_names if name not in model_joints]
    if missing:
        raise ValueError(f"robot.joint_names: {missing} are not hinge joints of {robot.mjcf_path}.")
    values = actuator_parameters(robot)

    # Joint-level properties
    for i, name in enumerate(joint_names):
        joint = spec.joint(name)
        joint.damping = [robot.joint_damping, 0.0, 0.0]
        joint.frictionloss = float(values["friction"][i])
        if not np.isnan(values["armature"][i]):
            joint.armature = float(values["armature"][i])

    # DC motors: K = 1, R = v_max / tau_stall, drive voltage limited to v_max, PD gains in torque space
    for i, name in enumerate(joint_names):
        kp, kd = float(values["stiffness"][i]), float(values["damping"][i])
        if values["implicit"][i]:
            _add_implicit_actuator(spec, name, kp, kd, float(values["effort_limit"][i]))
            continue
        effort, stall, speed = (float(values[k][i]) for k in ("effort_limit", "saturation_effort", "velocity_limit"))
        if min(effort, stall, speed) <= 0.0:
            raise ValueError(
                f"Joint {name!r}: effort_limit, saturation_effort and velocity_limit must be > 0 for a DC motor, got "
                f"{effort}, {stall}, {speed}."
            )
        actuator = spec.add_actuator(name=name, target=name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        actuator.set_to_dcmotor(
            motorconst=[0.0, 0.0],
            resistance=0.0,
            nominal=[speed, stall, speed],
            saturation=[effort, 0.0, 0.0],
            controller=[kp, 0.0, kd, 0.0, 0.0, speed],
            ctrlspec=_DCMOTOR_INPUT_POS,
        )
        actuator.ctrllimited = 0


def _add_implicit_actuator(spec: mujoco.MjSpec, name: str, kp: float, kd: float, effort: float) -> None:
    """Add a position actuator (PD in the solver, damping implicit) clipped to ``+-effort``."""
    if kp < 0.0 or kd < 0.0 or effort <= 0.0:
        raise ValueError(
            f"Joint {name!r}: an implicit actuator needs stiffness >= 0, damping >= 0 and effort_limit > 0, got "
            f"{kp}, {kd}, {effort}."
        )
    actuator = spec.add_actuator(name=name, target=name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
    actuator.set_to_position(kp=kp, kv=kd)
    actuator.ctrllimited = 0
    actuator.forcelimited = 1
    actuator.forcerange = [-effort, effort]


def _add_ground(
    spec: mujoco.MjSpec, terrain: TerrainCfg, terrain_generator: TerrainGenerator | None, *, visual: bool
) -> None:
    """Add the ground geom: a plane at z = 0 or the generator's height field (textured in the visual model)."""
    if terrain.terrain_type == "plane":
        ground = spec.worldbody.add_geom(name=GROUND_GEOM_NAME, type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.0, 0.0, 1.0])
    elif terrain.terrain_type == "generator":
        if terrain_generator is None or terrain_generator.is_plane:
            raise ValueError(
                "scene.terrain.terrain_type='generator' needs the built height-field terrain (terrain_generator)."
            )
        ground = terrain_generator.add_to_spec(spec, name=GROUND_GEOM_NAME, group=0)
    else:
        raise ValueError(f"scene.terrain.terrain_type={terrain.terrain_type!r}; valid: 'plane', 'generator'.")
    ground.contype = 0
    ground.conaffinity = 0
    if visual:
        spec.add_texture(
            name="ground_checker",
            type=mujoco.mjtTexture.mjTEXTURE_2D,
            builtin=mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
            rgb1=[0.32, 0.36, 0.40],
            rgb2=[0.22, 0.25, 0.28],
            width=300,
            height=300,
        )
        material = spec.add_material(name="ground_material", texrepeat=[1.0, 1.0], texuniform=True)
        material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = "ground_checker"
        ground.material = "ground_material"
        spec.add_texture(
            name="sky",
            type=mujoco.mjtTexture.mjTEXTURE_SKYBOX,
            builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
            rgb1=[0.62, 0.72, 0.82],
            rgb2=[0.95, 0.96, 0.98],
            width=256,
            height=1536,
        )
        spec.worldbody.add_light(
            name="sun", pos=[0.0, 0.0, 5.0], dir=[0.0, 0.0, -1.0], type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL
        )
        spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
