"""The config schema of the batched MuJoCo env (Isaac Lab's ``ManagerBasedRLEnvCfg``): what every task config holds.

A task's config (e.g. :class:`~rsl_sim.tasks.locomotion.velocity.velocity_env_cfg.VelocityEnvCfg`) subclasses
:class:`ManagerBasedRLEnvCfg` and gives its fields the task's defaults (scene, terms); the env
(:class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv`) reads only these fields.

A task or robot config changes its parent's values in ``__post_init__``, as Isaac Lab's configclasses do; what a caller
passes to the constructor is never overwritten by that: ``UnitreeGo2FlatEnvCfg(decimation=2).decimation == 2`` and
``UnitreeGo2FlatEnvCfg(scene=my_scene).scene`` equals ``my_scene`` as given (a copy: the caller's objects are not
changed either).
"""

# No `from __future__ import annotations`: the field types stay objects, so the task configs that subclass this one in
# other modules resolve their inherited annotations (dataclasses, typing.get_type_hints, pdoc) without imports.
import copy
import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rsl_sim.tasks.mujoco.managers.term_cfg import (
    ActionTermCfg,
    CommandTermCfg,
    CurriculumTermCfg,
    EventTermCfg,
    ObservationGroupCfg,
    PhysicsCfg,
    RewardTermCfg,
    TerminationTermCfg,
    ViewerCfg,
)


@dataclass
class ManagerBasedRLEnvCfg:
    """Everything the batched MuJoCo env is built from: the scene, the physics and the MDP as named terms.

    Attributes:
        scene: Robot, ground and sensors: ``num_envs``, ``robot`` (:class:`~rsl_sim.tasks.assets.robot_cfg.
            RobotAssetCfg`), ``terrain``, ``contact_forces``, ``height_scanner``, ``depth_camera`` (a task's
            ``SceneCfg``).
        physics: MuJoCo settings (time step, solver, threads).
        decimation: Physics steps per env step.
        episode_length_s: Episode time limit [s].
        actions: The action term (built as ``actions.class_type(actions, env)``).
        commands: Command terms by name (each built as ``class_type(cfg, env)``).
        observations: Observation groups by name.
        rewards: Reward terms by name (None entries are left out).
        terminations: Termination terms by name.
        events: Event terms by name.
        curriculum: Curriculum terms by name (run on the envs being reset).
        seed: Seed of the startup randomization when ``reset`` is not given one; None draws from the OS.
        viewer: Offscreen rendering.
        mdp_module: Package whose ``observations``, ``rewards``, ``terminations``, ``events`` and ``curriculums``
            modules hold the terms named by plain strings (``func="base_lin_vel"``); None: terms are callables or
            ``"package.module:function"``.
    """

    scene: Any = None
    physics: PhysicsCfg = field(default_factory=PhysicsCfg)
    decimation: int = 4
    episode_length_s: float = 20.0
    actions: ActionTermCfg | None = None
    commands: dict[str, CommandTermCfg] = field(default_factory=dict)
    observations: dict[str, ObservationGroupCfg] = field(default_factory=dict)
    rewards: dict[str, RewardTermCfg | None] = field(default_factory=dict)
    terminations: dict[str, TerminationTermCfg | None] = field(default_factory=dict)
    events: dict[str, EventTermCfg | None] = field(default_factory=dict)
    curriculum: dict[str, CurriculumTermCfg | None] = field(default_factory=dict)
    seed: int | None = None
    viewer: ViewerCfg = field(default_factory=ViewerCfg)
    mdp_module: str | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> "ManagerBasedRLEnvCfg":
        """Wrap the generated ``__init__`` of each config class once, so that ``__post_init__`` keeps caller values."""
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "keeps_caller_values", False):
            cls.__init__ = _keep_caller_values(init)
        return super().__new__(cls)


def _keep_caller_values(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a config class's ``__init__``: the fields the caller passed end up as passed, after ``__post_init__``.

    The passed values are copied before ``__init__`` runs (the caller's objects are never changed) and put back after
    it, so the changes a subclass's ``__post_init__`` makes apply only to the fields left at their defaults.
    """

    @functools.wraps(init)
    def __init__(self: ManagerBasedRLEnvCfg, *args: Any, **kwargs: Any) -> None:
        names = [f.name for f in dataclasses.fields(self) if f.init]
        passed = {**dict(zip(names, args)), **kwargs}
        init(self, **copy.deepcopy(passed))
        for name, value in copy.deepcopy(passed).items():
            setattr(self, name, value)

    __init__.keeps_caller_values = True  # type: ignore[attr-defined]
    return __init__
