"""Which of Isaac Lab's RSL-RL tasks can run here (CPU, kit-less, local asset root), and why the others cannot.

Parses every registered task that has an ``rsl_rl_cfg_entry_point`` (no env is built) and reads from its env config:
the physics backend it resolves to (Newton MJWarp runs without Isaac Sim; PhysX needs Isaac Sim, and a task whose
default is PhysX may offer a ``newton_mjwarp`` preset), the asset files it names (robot and object USDs, actuator
networks, data files) and whether they are in the local asset root (``ISAACSIM_ASSET_ROOT``), and camera sensors
(rendered images need a renderer that the kit-less CPU path does not have). Prints one Markdown table row per task.

Run in the Isaac Lab venv after ``source scripts/isaaclab_env.sh``: ``python scripts/isaaclab_task_support.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import sys
from collections.abc import Iterator
from typing import Any

# Marker meshes of Isaac Lab's debug visualization (command arrows, frames): loaded only with debug_vis, which a
# headless run leaves off, so their absence does not stop a task
DEBUG_MARKERS = "Props/UIElements/"

ASSET_SUFFIXES = (".usd", ".usda", ".usdc", ".usdz", ".pt", ".jit", ".onnx", ".npz", ".pkl", ".urdf", ".xml", ".mp4")


def walk(value: Any, path: str = "", seen: set[int] | None = None) -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, value) of every leaf and node of a nested config (configclass objects, dicts, lists)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    yield path, value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        seen.add(id(value))
        for field in dataclasses.fields(value):
            yield from walk(getattr(value, field.name, None), f"{path}.{field.name}", seen)
    elif isinstance(value, dict):
        seen.add(id(value))
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}", seen)
    elif isinstance(value, (list, tuple)):
        seen.add(id(value))
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]", seen)


def survey(task: str, root: str) -> dict[str, Any]:
    """Physics backend, missing asset files and camera sensors of one task's env config."""
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    result: dict[str, Any] = {"task": task, "preset": "", "missing": [], "cameras": False, "error": ""}
    try:
        cfg = parse_env_cfg(task, device="cpu", num_envs=1)
    except Exception as error:  # noqa: BLE001 (a task whose config fails to parse is reported, not fatal)
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:100]}"
        return result
    physics = type(getattr(cfg.sim, "physics", None)).__name__
    if "Newton" not in physics:
        try:
            cfg = parse_env_cfg(task, device="cpu", num_envs=1, overrides=["presets=newton_mjwarp"])
            physics = type(cfg.sim.physics).__name__
            result["preset"] = "presets=newton_mjwarp" if "Newton" in physics else ""
        except Exception:  # noqa: BLE001 (no such preset: the task stays on PhysX)
            pass
    result["physics"] = physics
    for _, value in walk(cfg):
        name = type(value).__name__
        if "Camera" in name and name.endswith("Cfg"):
            result["cameras"] = True
        if isinstance(value, str) and value.lower().endswith(ASSET_SUFFIXES) and not os.path.isfile(value):
            relative = value.split("/Isaac/", 1)[-1] if "/Isaac/" in value else value
            if relative.startswith(DEBUG_MARKERS):
                continue
            if not os.path.isfile(os.path.join(root, "Isaac", relative)):
                result["missing"].append(relative)
    return result


def verdict(result: dict[str, Any]) -> str:
    """One reason why the task cannot run here, or that it can."""
    if result["error"]:
        return f"cannot: its config does not parse here ({result['error']})"
    if "Newton" not in result["physics"]:
        return "cannot: PhysX only (needs Isaac Sim; no newton_mjwarp preset)"
    if result["cameras"]:
        return "cannot: camera images need Isaac Sim's renderer"
    if result["missing"]:
        shown = ", ".join(sorted(set(result["missing"]))[:2])
        more = len(set(result["missing"])) - 2
        return f"cannot: asset files not available offline ({shown}{f', +{more}' if more > 0 else ''})"
    return "runs" + (f" (with `{result['preset']}`)" if result["preset"] else "")


def main() -> int:
    import gymnasium as gym
    import isaaclab_tasks  # noqa: F401  (registers the tasks)

    root = os.environ.get("ISAACSIM_ASSET_ROOT", "")
    tasks = sorted(
        name
        for name, spec in gym.registry.items()
        if name.startswith("Isaac") and "rsl_rl_cfg_entry_point" in (spec.kwargs or {})
    )
    print("| task | on the CPU here |\n| --- | --- |")
    for task in tasks:
        # Isaac Lab prints a line per parsed config: keep the table clean
        with contextlib.redirect_stdout(io.StringIO()):
            result = survey(task, root)
        print(f"| {task} | {verdict(result)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
