"""CPU threads of a CPU learner: OpenMP's wait policy (chosen before torch loads) and torch's intra-op threads.

torch's CPU kernels run on OpenMP (GNU libgomp in the PyPI wheels). By default an idle OpenMP thread spins for a while
before it sleeps, which is fastest when every torch thread has a core of its own and slow when it has not: a spinning
thread holds a core that the simulator's threads, another process or the thread it waits for needs. The CPU
simulators step between the policy's forward passes and updates, and laptops and CI machines share their cores, so
the command line asks OpenMP to let idle threads sleep (``OMP_WAIT_POLICY=PASSIVE``) and then gives torch every CPU.

Measured with ``benchmarks/time_to_walk.py`` (Go2 flat, 1024 robots, iteration 20; collection + update seconds per
iteration, two runs each where two are given) on a 2-core AMD EPYC (Zen 4, AVX-512) VM, 2026-12-04; "one core busy":
a ``yes > /dev/null`` process beside the run:

===============================  ==============  ===============================
torch threads, OpenMP wait       cores           collect + learn per iteration
===============================  ==============  ===============================
1 (the former default)           free            0.90 + 0.91 s, 0.91 + 0.99 s
2, spinning (torch's default)    free            0.95 + 0.55 s
2, passive (this default)        free            0.94 + 0.67 s, 0.91 + 0.65 s
1                                one busy        1.33 + 0.93 s, 1.35 + 0.99 s
2, spinning                      one busy        1.63 + 2.27 s
2, passive                       one busy        1.33 + 1.04 s, 1.45 + 1.06 s
===============================  ==============  ===============================

With the cores free, two sleeping threads update 1.4-1.5x faster than one; with a core taken they lose 3-7 % of the
iteration, where spinning threads lose 70 %.

libgomp reads ``OMP_WAIT_POLICY`` once, when torch is first imported, so :func:`prefer_passive_openmp_wait` must run
before that (``rsl-sim`` calls it first thing); a process that imported torch earlier keeps torch's own policy and
gets half of the CPUs. ``OMP_NUM_THREADS`` and ``OMP_WAIT_POLICY`` set by the user always win.
"""

from __future__ import annotations

import os
import sys

_PASSIVE_FROM_START = os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"
"""Whether the process started with ``OMP_WAIT_POLICY=PASSIVE`` (then libgomp honours it whenever torch loads)."""

_passive_before_torch = False
"""Whether :func:`prefer_passive_openmp_wait` set the policy before torch was imported."""


def prefer_passive_openmp_wait() -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` if the user has not chosen a policy and torch is not imported yet.

    Returns:
        True when this call set the policy (it takes effect when torch loads), False when it left things alone.
    """
    global _passive_before_torch
    if "OMP_WAIT_POLICY" in os.environ or "torch" in sys.modules:
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    _passive_before_torch = True
    return True


def openmp_wait_is_passive() -> bool:
    """Whether torch's OpenMP threads sleep when idle (``OMP_WAIT_POLICY=PASSIVE`` before torch was imported)."""
    return _PASSIVE_FROM_START or _passive_before_torch


def configure_cpu_threads(device: str) -> int | None:
    """Choose torch's intra-op threads for a CPU learner unless ``OMP_NUM_THREADS`` is set.

    Every CPU when idle OpenMP threads sleep (:func:`openmp_wait_is_passive`), half of them (at least one) when they
    spin: spinning threads beyond the free cores slow the learner several times over (table above; once measured on
    2 shared cores: a Go2 PPO update of 24k samples took 0.7 s with one torch thread and 6.5 s with two).

    Args:
        device: The learner device, e.g. ``"cpu"`` or ``"cuda:0"`` (a GPU learner leaves the threads alone).

    Returns:
        The number of threads set, or None when the threads were left alone (GPU learner, ``OMP_NUM_THREADS`` set).
    """
    if not str(device).startswith("cpu") or "OMP_NUM_THREADS" in os.environ:
        return None
    import torch

    cpus = os.cpu_count() or 1
    threads = cpus if openmp_wait_is_passive() else max(1, cpus // 2)
    torch.set_num_threads(threads)
    return threads
