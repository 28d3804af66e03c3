"""What machine a figure came from: CPU model, vector extensions, core count and load average.

Benchmarks print :func:`machine_line` beside every figure, so that results from different machines (or from the same
machine under different load) can be told apart.
"""

from __future__ import annotations

import os
import platform


def cpu_info() -> tuple[str, set[str]]:
    """The CPU model name and its feature flags (Linux ``/proc/cpuinfo``; elsewhere the platform's processor string).

    Returns:
        ``(model, flags)``; ``flags`` is empty where ``/proc/cpuinfo`` cannot be read.
    """
    model, flags = platform.processor() or platform.machine() or "unknown CPU", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return model, flags


def vector_extensions(flags: set[str]) -> str:
    """The widest x86 vector extension among ``flags``: ``"AVX-512"``, ``"AVX2"`` or ``"no AVX2"``."""
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"


def machine_line() -> str:
    """One line naming the machine: CPU model, vector extensions, CPU count and the 1/5/15-min load averages."""
    model, flags = cpu_info()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{model} ({vector_extensions(flags)}), {os.cpu_count()} CPUs, load average {load}"
