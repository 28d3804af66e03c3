"""Where the learner's time goes: per-op CPU time of the rollout and the PPO update, rsl_sim and rsl-rl-lib.

Runs the setup of ``benchmarks/learner_throughput.py`` (same synthetic env, config and seed) for each library: one
warm-up iteration, then ``--repeats`` iterations whose rollout (``act`` / ``process_env_step`` / ``compute_returns``)
and update are timed op by op. Each ATen op is timed with the CPU time of the calling thread (``time.thread_time``)
through a ``TorchDispatchMode``, so a loaded machine (time spent waiting for a core) does not distort the table; run it
with one torch thread (the default), where every op runs on the calling thread. An op's time includes what it calls
internally (e.g. the copies a oneDNN product makes of strided inputs). "Python and autograd outside ops" is the phase's
CPU time minus the ops' time: interpreter, autograd bookkeeping, dispatch and the timer's own cost (a few microseconds
per op call, also counted).

Last, the matrix products (``PRODUCT_OPS``) are set apart from everything else, and two ratios are derived from them:
the ratio rsl_sim would reach if its products ran at rsl-rl-lib's speed (on a CPU where oneDNN is no faster than MKL,
all of rsl_sim's gain must come from the other work), and the highest ratio any learner could reach there, one that
did nothing but rsl-rl-lib's products (the products' floating-point operations are the same in both learners).

``--torch_profiler`` prints torch.profiler's wall-clock tables instead (per op, self time), for comparison.

Usage::

    python benchmarks/learner_profile.py [--num_envs 512] [--repeats 2] [--rows 18] [--torch_profiler]
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learner_throughput import LIBRARIES, machine_summary, make_runner, rollout  # noqa: E402

# The ATen / oneDNN ops that are matrix products (forward products, input and weight gradients) in either learner
PRODUCT_OPS = ("mkldnn._linear_pointwise", "aten.mm", "aten.addmm", "aten.linear", "aten.matmul", "aten.bmm")


class OpTimer(TorchDispatchMode):
    """Accumulates the calling thread's CPU time and the number of calls per ATen op."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        start = time.thread_time()
        out = func(*args, **(kwargs or {}))
        name = func.name().replace("::", ".")
        self.seconds[name] += time.thread_time() - start
        self.calls[name] += 1
        return out


def phases(library: str, num_envs: int):
    """A fresh runner of ``library`` after one warm-up iteration, and its two phases as callables."""
    runner, env = make_runner(library, num_envs)
    runner.alg.train_mode()

    def collect() -> None:
        rollout(runner, env)

    collect()
    runner.alg.update()
    return {"rollout": collect, "update": runner.alg.update}


def op_table(library: str, num_envs: int, repeats: int, rows: int) -> tuple[dict[str, float], float]:
    """Print the per-op CPU-time tables of both phases of ``library``.

    Returns:
        The phases' CPU seconds per repeat, and the matrix products' CPU seconds per repeat (both phases together).
    """
    runs = phases(library, num_envs)
    timers = {name: OpTimer() for name in runs}
    cpu = dict.fromkeys(runs, 0.0)
    for _ in range(repeats):
        for name, phase in runs.items():
            start = time.thread_time()
            with timers[name]:
                phase()
            cpu[name] += time.thread_time() - start
    totals = {}
    for name, timer in timers.items():
        in_ops = sum(timer.seconds.values())
        totals[name] = cpu[name] / repeats
        print(f"\n{library} {name}, {num_envs} envs: {1e3 * totals[name]:.0f} ms CPU per iteration")
        print(f"  {'op':<42} {'calls':>6} {'ms':>8} {'share':>6}")
        entries = timer.seconds.most_common(rows)
        entries.append(("Python and autograd outside ops", cpu[name] - in_ops))
        for op, seconds in entries:
            calls = f"{timer.calls[op] // repeats}" if op in timer.calls else ""
            print(f"  {op:<42} {calls:>6} {1e3 * seconds / repeats:>8.1f} {100 * seconds / cpu[name]:>5.1f}%")
    products = sum(timer.seconds[op] for timer in timers.values() for op in PRODUCT_OPS) / repeats
    return totals, products


def print_product_bound(ours: float, ours_products: float, theirs: float, theirs_products: float) -> None:
    """Print the products / other work split of an iteration and the ratios it bounds (CPU seconds in).

    With ``s`` the products' share of rsl-rl-lib's iteration, ``o`` rsl_sim's other work as a fraction of it and ``g``
    how much faster rsl_sim's products run, the ratio is ``1 / (s / g + o)``; the products at equal speed give
    ``1 / (s + o)``, a learner doing nothing but the products at most ``1 / s``, and a target ratio ``r`` needs
    ``g >= s / (1 / r - o)``.
    """
    ours_other, theirs_other = ours - ours_products, theirs - theirs_products
    share, other = theirs_products / theirs, ours_other / theirs
    print("\nCPU ms per iteration   rsl_sim  rsl-rl-lib")
    print(f"  {'matrix products':<20} {1e3 * ours_products:>7.0f} {1e3 * theirs_products:>11.0f}")
    print(f"  {'all other work':<20} {1e3 * ours_other:>7.0f} {1e3 * theirs_other:>11.0f}")
    print(
        f"products' share of rsl-rl-lib's iteration s = {share:.3f}, rsl_sim's other work o = {other:.3f} of it, "
        f"rsl_sim's products {theirs_products / ours_products:.2f}x as fast"
    )
    print(
        f"ratio with rsl_sim's products at rsl-rl-lib's speed: {1 / (share + other):.2f}; "
        f"at most {1 / share:.2f} for a learner with no work besides those products"
    )
    for target in (1.3, 2.0):
        room = 1 / target - other
        needed = f"products >= {share / room:.2f}x as fast as rsl-rl-lib's" if room > 0 else "less other work first"
        print(f"ratio {target}x needs {needed}")


def torch_profiler_tables(library: str, num_envs: int, rows: int) -> None:
    """Print torch.profiler's wall-clock tables (self time per op) of both phases of ``library``."""
    from torch.profiler import ProfilerActivity, profile

    for name, phase in phases(library, num_envs).items():  # rollout, then update
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            phase()
        print(f"\n=== {library} {name}, {num_envs} envs (torch.profiler, wall clock) ===")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows, max_name_column_width=42))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num_envs", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rows", type=int, default=18)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (CPU times are exact with 1)")
    parser.add_argument("--torch_profiler", action="store_true", help="torch.profiler's wall-clock tables instead")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine_summary())
    totals, products = {}, {}
    for library in LIBRARIES:
        if args.torch_profiler:
            torch_profiler_tables(library, args.num_envs, args.rows)
        else:
            totals[library], products[library] = op_table(library, args.num_envs, args.repeats, args.rows)
    if totals:
        ours, theirs = totals["rsl_sim"], totals["rsl_rl"]
        print("\nCPU ms per iteration   rsl_sim  rsl-rl-lib  ratio")
        for name in ("rollout", "update"):
            print(
                f"  {name:<20} {1e3 * ours[name]:>7.0f} {1e3 * theirs[name]:>11.0f} {theirs[name] / ours[name]:>6.2f}"
            )
        ours_all, theirs_all = sum(ours.values()), sum(theirs.values())
        print(f"  {'iteration':<20} {1e3 * ours_all:>7.0f} {1e3 * theirs_all:>11.0f} {theirs_all / ours_all:>6.2f}")
        print_product_bound(ours_all, products["rsl_sim"], theirs_all, products["rsl_rl"])


if __name__ == "__main__":
    main()
