"""Many independent MuJoCo simulations stepped together inside C: one robot per simulation, one thread pool.

:class:`BatchedMujocoSim` wraps MuJoCo's batch API (``mujoco.batch.Batch``, MuJoCo >= 4.0): every simulation is one
row of an integration-state array (positions, velocities, controls, applied forces, solver warm start, ...), and a call
steps the selected rows on a persistent thread pool with the Python GIL released. Results are bit-identical for any
thread count, so a seeded run is reproducible. The state rows are exposed as live ``numpy`` views (``qpos``, ``qvel``,
``ctrl``, ``xfrc_applied``); model fields can be given per-simulation values (``model_field``) for domain
randomization, which is how friction, masses and centres of mass differ between environments.

A step of ``nsubsteps`` physics steps records chosen ``MjData`` fields after every substep (``record``), e.g. the
contact sensors and joint velocities, so that per-substep quantities (contact-force history, air time, finite-difference
accelerations) are available without leaving C between substeps.

This module also picks the OpenGL backend of MuJoCo's offscreen renderer before MuJoCo is imported: ``MUJOCO_GL``
defaults to ``egl`` (headless, needs ``libEGL``), falls back to ``osmesa`` (software, ``libOSMesa``) when only that
library is found; a value set by the user is kept.
"""

from __future__ import annotations

import ctypes.util
import os
from collections.abc import Sequence


def _default_gl_backend() -> None:
    """Set ``MUJOCO_GL`` (and PyOpenGL's platform) to a headless backend when the user chose none."""
    if "MUJOCO_GL" in os.environ:
        return
    if ctypes.util.find_library("EGL") is None and ctypes.util.find_library("OSMesa") is not None:
        os.environ["MUJOCO_GL"] = "osmesa"
    else:
        os.environ["MUJOCO_GL"] = "egl"
    os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])


# The backend is read once, when mujoco is first imported
_default_gl_backend()

import mujoco  # noqa: E402
import numpy as np  # noqa: E402
from mujoco import batch as mj_batch  # noqa: E402

# MuJoCo warnings that mean a simulation blew up and was reset by mj_step
_DIVERGENCE_WARNINGS = (
    mujoco.mjtWarning.mjWARN_BADQACC,
    mujoco.mjtWarning.mjWARN_BADQVEL,
    mujoco.mjtWarning.mjWARN_BADQPOS,
)


class BatchedMujocoSim:
    """``num_envs`` copies of one MuJoCo model stepped in batch on a thread pool.

    Args:
        model: The compiled model; every simulation starts from a copy of it.
        num_envs: Number of simulations ``N``.
        num_threads: Worker threads including the caller's; 0 uses one per CPU.
        record: ``MjData`` fields recorded after every substep of :meth:`step` (e.g. ``"sensordata"``, ``"qvel"``).

    Raises:
        ValueError: If ``num_envs`` < 1, ``num_threads`` < 0 or a recorded field is not an ``MjData`` field.
    """

    def __init__(
        self, model: mujoco.MjModel, num_envs: int, num_threads: int = 0, record: Sequence[str] = ("sensordata",)
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}.")
        if num_threads < 0:
            raise ValueError(f"num_threads must be >= 0 (0: one per CPU), got {num_threads}.")
        unknown = [name for name in record if name not in mj_batch.DATA_FIELDS]
        if unknown:
            raise ValueError(f"record: {unknown} are not MjData fields the batch can record.")
        self.model = model
        self.num_envs = num_envs
        self.batch = mj_batch.Batch(model, nsim=num_envs, nthread=num_threads)
        self.num_threads = self.batch.nthread
        self.record = tuple(record)

        # Live views of the state rows [N, ...] and of derived outputs (bound before the first call)
        self.qpos: np.ndarray = self.batch.bind("qpos")
        self.qvel: np.ndarray = self.batch.bind("qvel")
        self.ctrl: np.ndarray = self.batch.bind("ctrl")
        self.xfrc_applied: np.ndarray = self.batch.bind("xfrc_applied")
        self.actuator_force: np.ndarray = self.batch.bind("actuator_force")

        # Divergence bookkeeping: warning counters seen so far
        self._warning_ids = np.asarray([int(w) for w in _DIVERGENCE_WARNINGS])
        self._warning_seen = self._warning_counts()
        self._records: dict[str, np.ndarray] | None = None
        self._records_nstep = 0

    # Stepping
    def step(self, nsubsteps: int) -> dict[str, np.ndarray]:
        """Advance every simulation by ``nsubsteps`` physics steps with the controls currently in ``ctrl``.

        Args:
            nsubsteps: Number of ``mj_step`` calls per simulation.

        Returns:
            The recorded fields, each ``[N, nsubsteps, ...]``; the arrays are reused by the next call. Derived fields
            (``sensordata``) describe substep ``k`` as computed during it, state fields (``qvel``) the state after it.
        """
        # Reuse the record buffers while the substep count stays the same
        if self._records is None or self._records_nstep != nsubsteps:
            self._records, self._records_nstep = None, nsubsteps
        self._records = self.batch.rollout(nsubsteps, record=self.record, out=self._records)
        return self._records

    def step_plain(self, nsubsteps: int) -> None:
        """Advance every simulation by ``nsubsteps`` physics steps without recording (the raw physics rate).

        Args:
            nsubsteps: Number of ``mj_step`` calls per simulation.
        """
        self.batch.step(nstep=nsubsteps)

    def reset(self, env_ids: np.ndarray | None = None) -> None:
        """Reset simulations to the model's defaults (state, controls, applied forces, warm start), no forward pass.

        Args:
            env_ids: Sorted unique indices ``[k]``, or None for all.
        """
        if env_ids is not None and len(env_ids) == 0:
            return
        self.batch.reset(env_ids, stage=mujoco.mjtStage.mjSTAGE_NONE)
        self._warning_seen = self._warning_counts()

    def forward(self, env_ids: np.ndarray | None = None) -> None:
        """Recompute the derived quantities (kinematics, contacts, sensors) of simulations at their current state.

        Args:
            env_ids: Sorted unique indices ``[k]``, or None for all.
        """
        if env_ids is not None and len(env_ids) == 0:
            return
        self.batch.forward(env_ids)

    # Divergence
    def diverged(self) -> np.ndarray:
        """Which simulations blew up (MuJoCo reset them after a NaN/huge acceleration) since the last call.

        Returns:
            Boolean mask ``[N]``.
        """
        counts = self._warning_counts()
        mask = (counts > self._warning_seen).any(axis=1)
        self._warning_seen = counts
        return mask

    def _warning_counts(self) -> np.ndarray:
        """Counters ``[N, num_watched_warnings]`` of the warnings that signal a diverged simulation."""
        return self.batch.warning[:, self._warning_ids, 1].copy()

    # Per-simulation model fields
    def model_field(self, name: str) -> np.ndarray:
        """Give a model field per-simulation values and return the live array ``[N, *model_field_shape]``.

        Writes apply from the next step on. After writing a field that ``mj_setConst`` reads (masses, inertias,
        centres of mass), call :meth:`set_const`.

        Args:
            name: An ``MjModel`` array field (e.g. ``"body_mass"``, ``"body_ipos"``, ``"pair_friction"``).

        Returns:
            The per-simulation values.
        """
        return self.batch.expand(name)

    def set_const(self, env_ids: np.ndarray | None = None) -> None:
        """Recompute the constants MuJoCo derives from masses and inertias (``mj_setConst``) per simulation.

        Args:
            env_ids: Sorted unique indices ``[k]``, or None for all.
        """
        self.batch.set_const(env_ids)

    def env_model(self, env_id: int) -> mujoco.MjModel:
        """A standalone copy of one simulation's model, with its per-simulation fields."""
        return self.batch.get_model(env_id)

    def env_data(self, env_id: int) -> mujoco.MjData:
        """A standalone ``MjData`` holding one simulation's state (derived fields need ``mj_forward``)."""
        return self.batch.get_data(env_id)
