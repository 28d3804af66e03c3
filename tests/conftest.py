"""Test-session set-up shared by all tests."""

from __future__ import annotations

import os

import pytest
import torch

# MuJoCo picks its OpenGL backend when it is first imported: headless rendering (env.render(), videos) needs EGL,
# and any test may be the first to import mujoco.
os.environ.setdefault("MUJOCO_GL", "egl")


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a whole test module (its module-scoped fixtures included), restored afterwards.

    Small networks on shared CPU cores: one thread is as fast and avoids contention (several times faster under load).
    A module opts in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
