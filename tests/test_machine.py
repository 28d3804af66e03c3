"""The machine description that benchmarks print beside their figures."""

from __future__ import annotations

import os

from rsl_sim.utils.machine import cpu_info, machine_line, vector_extensions


def test_vector_extensions_names_the_widest_one():
    assert vector_extensions({"sse2", "avx2", "avx512f"}) == "AVX-512"
    assert vector_extensions({"sse2", "avx2"}) == "AVX2"
    assert vector_extensions(set()) == "no AVX2"


def test_machine_line_names_model_cpus_and_load():
    model, flags = cpu_info()
    line = machine_line()
    assert line.startswith(model)
    assert f"{os.cpu_count()} CPUs" in line
    assert vector_extensions(flags) in line
    assert line.count(",") >= 3  # the three load averages follow "load average"
