"""The machine description that benchmarks print beside their figures."""

from __future__ import annotations

import os

from rsl_sim.utils.machine import cpu_info, machine_line, parse_cpuinfo, vector_extensions


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


ZEN5_CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx2 avx512f avx512_vp2intersect

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx2 avx512f avx512_vp2intersect
"""


def test_parse_cpuinfo_names_family_and_model_of_the_first_processor():
    model, flags = parse_cpuinfo(ZEN5_CPUINFO)
    assert model == "AMD EPYC [family 26, model 2]"
    assert flags == {"fpu", "sse2", "avx2", "avx512f", "avx512_vp2intersect"}
    assert vector_extensions(flags) == "AVX-512"


def test_parse_cpuinfo_without_x86_numbers_or_model():
    # An Arm /proc/cpuinfo has neither "model name" nor "cpu family" in its processor blocks
    assert parse_cpuinfo("processor\t: 0\nFeatures\t: fp asimd\nCPU part\t: 0xd0c\n") == (None, set())
    assert parse_cpuinfo("model name\t: Some CPU\nflags\t: sse2\n") == ("Some CPU", {"sse2"})
