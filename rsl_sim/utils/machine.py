"""What machine a figure came from: CPU model, vector extensions, core count and load average.

Benchmarks print :func:`machine_line` beside every figure, so that results from different machines (or from the same
machine under different load) can be told apart.
"""

from __future__ import annotations

import os
import platform


def parse_cpuinfo(text: str) -> tuple[str | None, set[str]]:
    """The CPU model and feature flags of the first processor in the text of Linux ``/proc/cpuinfo``.

    The model is the ``model name`` followed, on x86, by the ``cpu family`` and ``model`` numbers, which tell CPU
    generations apart where a virtual machine reports a generic name (``"AMD EPYC [family 25, model 17]"`` is Zen 4,
    ``"AMD EPYC [family 26, model 2]"`` Zen 5).

    Args:
        text: Contents of ``/proc/cpuinfo``.

    Returns:
        ``(model, flags)``; ``model`` is None where the text names none, ``flags`` empty where it lists none.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, separator, value = line.partition(":")
        key = key.strip()
        if not separator:
            continue
        if key in fields:  # the next processor's block starts
            break
        fields[key] = value.strip()
    model = fields.get("model name")
    if model is not None and "cpu family" in fields and "model" in fields:
        model = f"{model} [family {fields['cpu family']}, model {fields['model']}]"
    return model, set(fields.get("flags", "").split())


def cpu_info() -> tuple[str, set[str]]:
    """The CPU model (with family and model numbers on x86) and its feature flags.

    Read from Linux ``/proc/cpuinfo``; elsewhere the model is the platform's processor string.

    Returns:
        ``(model, flags)``; ``flags`` is empty where ``/proc/cpuinfo`` cannot be read.
    """
    fallback = platform.processor() or platform.machine() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model, flags = parse_cpuinfo(cpuinfo.read())
    except OSError:
        return fallback, set()
    return model or fallback, flags


def vector_extensions(flags: set[str]) -> str:
    """The widest x86 vector extension among ``flags``: ``"AVX-512"``, ``"AVX2"`` or ``"no AVX2"``."""
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"


def machine_line() -> str:
    """One line naming the machine: CPU model, vector extensions, CPU count and the 1/5/15-min load averages."""
    model, flags = cpu_info()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{model} ({vector_extensions(flags)}), {os.cpu_count()} CPUs, load average {load}"
