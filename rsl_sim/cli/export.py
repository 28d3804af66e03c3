"""``rsl-sim export``: export a run's policy to TorchScript (``policy.pt``) and ONNX (``policy.onnx``), then check both.

Examples::

    rsl-sim export logs/unitree_go2_flat/2026-01-01_12-00-00            # newest checkpoint of that run
    rsl-sim export --task RslSim/Go2-Flat-v0 --checkpoint model_500.pt   # newest run of the task's experiment
    rsl-sim export path/to/model_500.pt --out deploy/
    rsl-sim export --task RslSim/Go2-Flat-v0 --use_pretrained_checkpoint  # into logs/pretrained/<task>/exported

The policy maps raw observations to deterministic actions (normalizer included); the ONNX graph has a dynamic batch
dimension (see :mod:`rsl_sim.models.export` for the inputs and outputs). Both files are checked: the ONNX file with
onnxruntime and the TorchScript file with torch, against the checkpoint's policy on observations of the task's env.
"""

from __future__ import annotations

import argparse
import os
import warnings
from typing import Any

import torch

from . import arguments
from .agent_config import build_runner, load_checkpoint, set_seed
from .envs import EnvRequest, open_env
from .errors import CliError, require_module
from .policy_source import inference_cfg, resolve_policy_source, split_positionals
from .pretrained import add_pretrained_arg
from .progress import info, status

CHECK_TOLERANCE = 1e-4
"""Largest accepted difference between an exported file's actions and the checkpoint policy's."""


def add_parser(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``rsl-sim export``."""
    arguments.add_task_args(parser, task_required=False)
    arguments.add_log_args(parser)
    arguments.add_load_args(parser)
    add_pretrained_arg(parser)
    parser.add_argument(
        "--out",
        default=None,
        help="Output folder (default: <run>/exported; with --use_pretrained_checkpoint:"
        " <log_root>/pretrained/<task>/exported).",
    )
    parser.add_argument("--no_verify", action="store_true", help="Skip the onnxruntime / TorchScript checks.")
    parser.add_argument(
        "overrides", nargs="*", metavar="[RUN] KEY=VALUE", help="A run folder or checkpoint file, and overrides."
    )
    arguments.add_debug_arg(parser)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Export as the arguments say; returns ``{"jit", "onnx", "checkpoint", "max_abs_diff"}``."""
    runs, override_tokens = split_positionals(args.overrides)
    source = resolve_policy_source(args, runs[0] if runs else None, override_tokens)
    cfg = inference_cfg(source.agent_cfg)
    set_seed(cfg["seed"])
    out_dir = os.path.abspath(
        args.out or os.path.join(source.output_dir or os.path.dirname(source.checkpoint), "exported")
    )
    info(f"checkpoint: {source.checkpoint}")

    request = EnvRequest(
        task=source.task,
        num_envs=args.num_envs or 2,
        seed=cfg["seed"],
        device=cfg["device"],
        clip_actions=cfg.get("clip_actions"),
        env_overrides=source.env_overrides,
        headless=True,
    )
    with open_env(request) as env:
        runner = build_runner(env, cfg, log_dir=None)
        load_checkpoint(runner, source.checkpoint, cfg["device"], trusted=source.trust_checkpoint, inference=True)
        policy = runner.get_inference_policy(device="cpu")
        with status(f"exporting to {out_dir}"):
            paths = export_policy(policy, out_dir)
        result: dict[str, Any] = {**paths, "checkpoint": source.checkpoint, "max_abs_diff": None}
        if not args.no_verify:
            obs = env.get_observations().to("cpu")
            result["max_abs_diff"] = check_exports(policy, obs, paths["jit"], paths["onnx"])
    info(f"TorchScript: {paths['jit']}")
    info(f"ONNX:        {paths['onnx']}")
    if result["max_abs_diff"] is not None:
        info(f"checked with onnxruntime and torch.jit: max |action difference| {result['max_abs_diff']:.2e}")
    return result


def export_policy(policy: torch.nn.Module, out_dir: str) -> dict[str, str]:
    """Write ``policy.pt`` (TorchScript) and ``policy.onnx`` into ``out_dir``.

    Raises:
        CliError: If the ONNX exporter's packages are missing.
    """
    from rsl_sim.models.export import export_to_jit, export_to_onnx

    require_module("onnx", "ONNX export")
    jit_path = export_to_jit(policy, os.path.join(out_dir, "policy.pt"))
    onnx_path = export_to_onnx(policy, os.path.join(out_dir, "policy.onnx"))
    return {"jit": jit_path, "onnx": onnx_path}


def check_exports(policy: torch.nn.Module, obs: Any, jit_path: str, onnx_path: str) -> float:
    """Run both files on ``obs`` and compare with ``policy(obs)``; returns the largest difference.

    Args:
        policy: The checkpoint's policy (fresh recurrent state), on the CPU.
        obs: Observations of the env, a TensorDict ``[num_envs]`` on the CPU.
        jit_path: The TorchScript file.
        onnx_path: The ONNX file.

    Raises:
        CliError: If onnxruntime is missing or an export differs by more than :data:`CHECK_TOLERANCE`.
    """
    onnxruntime = require_module("onnxruntime", "checking the ONNX export (or pass --no_verify)")
    with torch.inference_mode():
        expected = policy(obs).float()
    one_d, images = _policy_inputs(policy, obs)

    # ONNX: inputs by name; a recurrent state starts at zero
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    feeds = {}
    for spec in session.get_inputs():
        if spec.name == "obs":
            feeds["obs"] = one_d.numpy()
        elif spec.name in images:
            feeds[spec.name] = images[spec.name].numpy()
        else:
            shape = [dim if isinstance(dim, int) else one_d.shape[0] for dim in spec.shape]
            feeds[spec.name] = torch.zeros(shape).numpy()
    onnx_actions = torch.from_numpy(session.run(None, feeds)[0])

    # TorchScript: policy(obs) or policy(obs, [images])
    with warnings.catch_warnings():
        # torch >= 2.10 marks TorchScript deprecated; it is still the deployment format that RSL-RL users load
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.load.*deprecated", category=DeprecationWarning)
        scripted = torch.jit.load(jit_path)
    with torch.inference_mode():
        jit_actions = scripted(one_d, list(images.values())) if images else scripted(one_d)
    diffs = {
        "ONNX": float((onnx_actions - expected).abs().max()),
        "TorchScript": float((jit_actions - expected).abs().max()),
    }
    for name, diff in diffs.items():
        if diff > CHECK_TOLERANCE:
            raise CliError(
                f"the {name} export differs from the checkpoint's policy by {diff:.3g} (> {CHECK_TOLERANCE})."
            )
    return max(diffs.values())


def _policy_inputs(policy: torch.nn.Module, obs: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The exported files' inputs: the 1D groups concatenated ``[N, obs_dim]`` and the image groups ``[N, C, H, W]``."""
    groups_1d = list(getattr(policy, "obs_groups", []) or [])
    batch = obs.batch_size[0]
    one_d = torch.cat([obs[group].float().reshape(batch, -1) for group in groups_1d], dim=-1) if groups_1d else None
    images = {group: obs[group] for group in getattr(policy, "obs_groups_2d", []) or []}
    return (one_d if one_d is not None else torch.zeros(batch, 0)), images
