"""Test-session set-up shared by all tests."""

from __future__ import annotations

import os

# MuJoCo picks its OpenGL backend when it is first imported: headless rendering (env.render(), videos) needs EGL,
# and any test may be the first to import mujoco.
os.environ.setdefault("MUJOCO_GL", "egl")
