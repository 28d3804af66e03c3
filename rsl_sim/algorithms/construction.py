"""Building an actor-critic algorithm (models, storage, algorithm) from a train config."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tensordict import TensorDict
from torch import nn

from rsl_sim.algorithms.config import ALGORITHM_CFG_KEYS, check_unknown_keys
from rsl_sim.extensions import resolve_rnd_config, resolve_symmetry_config
from rsl_sim.storage import RolloutStorage
from rsl_sim.utils import class_with_method, resolve_class, resolve_obs_groups, subclass_of

if TYPE_CHECKING:
    from rsl_sim.env import VecEnv

__all__ = ["ALGORITHM_KIND", "MODEL_KIND", "construct_actor_critic"]

ALGORITHM_KIND = class_with_method("construct_algorithm", "an algorithm such as PPO or Distillation")
"""What ``algorithm.class_name`` must name."""

MODEL_KIND = subclass_of(nn.Module, "a model such as MLPModel, RNNModel or CNNModel")
"""What the ``class_name`` of a model entry (``actor``, ``critic``, ``student``, ``teacher``) must name."""


def construct_actor_critic(obs: TensorDict, env: VecEnv, cfg: dict, device: str, argument_names: Iterable[str]) -> Any:
    """Build actor, critic, rollout storage and the algorithm named by ``cfg["algorithm"]["class_name"]``.

    Reads ``cfg["algorithm"]`` (``class_name``, the algorithm's keyword arguments and ``share_cnn_encoders``),
    ``cfg["actor"]`` and ``cfg["critic"]`` (model entries with ``class_name``), ``cfg["obs_groups"]`` (missing
    ``actor`` / ``critic`` sets get defaults), ``cfg["num_steps_per_env"]``, and optionally ``cfg["multi_gpu"]`` and
    ``cfg["torch_compile_mode"]``. Nothing in ``cfg`` is modified. The resolved observation sets are stored in the
    algorithm's ``obs_groups`` attribute.

    Args:
        obs: Example observations, TensorDict with batch size ``[num_envs]``.
        env: The environment (``num_envs``, ``num_actions``).
        cfg: The train config.
        device: Device of the models and the storage.
        argument_names: Keyword arguments the algorithm accepts (besides those in the signature of its class).

    Returns:
        The algorithm instance.

    Raises:
        ValueError: For a missing entry, unknown keys of the ``algorithm`` entry, conflicting ``torch_compile_mode``
            values, or ``share_cnn_encoders`` with an actor without CNN encoders.
    """
    for key in ("algorithm", "actor", "critic", "num_steps_per_env"):
        if key not in cfg:
            raise ValueError(f"The train config lacks '{key}', which the algorithm needs; it has {sorted(cfg)}.")

    # Classes and (copied) keyword arguments; unknown algorithm keys are refused before anything is built
    alg_class, alg_cfg = resolve_class(cfg["algorithm"], ALGORITHM_KIND, "algorithm")
    names = {*argument_names, *_signature_names(alg_class)} - {"device", "multi_gpu_cfg"}
    check_unknown_keys(alg_cfg, [*names, *ALGORITHM_CFG_KEYS], f"the 'algorithm' config of {alg_class.__name__}")
    actor_class, actor_cfg = resolve_class(cfg["actor"], MODEL_KIND, "actor")
    critic_class, critic_cfg = resolve_class(cfg["critic"], MODEL_KIND, "critic")

    # Observation sets (a new dict; the config's stays as it is); RND reads the "rnd_state" set
    default_sets = ["actor", "critic"] + (["rnd_state"] if alg_cfg.get("rnd_cfg") else [])
    obs_groups = resolve_obs_groups(obs, cfg.get("obs_groups") or {}, default_sets)

    # Extensions: RND sized from the observations and scaled by the env step; symmetry gets the env
    alg_cfg = resolve_rnd_config(alg_cfg, obs, obs_groups, env)
    alg_cfg = resolve_symmetry_config(alg_cfg, env)

    # torch.compile mode from the algorithm entry or the top level (they must agree when both are set)
    top_mode, alg_mode = cfg.get("torch_compile_mode"), alg_cfg.get("torch_compile_mode")
    if top_mode is not None and alg_mode is not None and top_mode != alg_mode:
        raise ValueError(
            f"torch_compile_mode is {top_mode!r} at the top level of the train config but {alg_mode!r} in 'algorithm';"
            " set it in one place."
        )
    if top_mode is not None:
        alg_cfg["torch_compile_mode"] = top_mode

    # Models; the critic may reuse the actor's CNN encoders
    actor = actor_class(obs, obs_groups, "actor", env.num_actions, **actor_cfg).to(device)
    print(f"Actor Model: {actor}")
    if alg_cfg.pop("share_cnn_encoders", False):
        if not hasattr(actor, "cnns"):
            raise ValueError(
                "share_cnn_encoders=True needs an actor with CNN encoders (CNNModel, CNNRNNModel); the actor is a"
                f" {type(actor).__name__}."
            )
        critic_cfg["cnns"] = actor.cnns
    critic = critic_class(obs, obs_groups, "critic", 1, **critic_cfg).to(device)
    print(f"Critic Model: {critic}")

    # Storage and algorithm
    storage = RolloutStorage("rl", env.num_envs, cfg["num_steps_per_env"], obs, [env.num_actions], device)
    alg = alg_class(actor, critic, storage, device=device, multi_gpu_cfg=cfg.get("multi_gpu"), **alg_cfg)
    alg.obs_groups = obs_groups
    return alg


def _signature_names(cls: type) -> list[str]:
    """Named keyword arguments of ``cls.__init__`` (without ``self`` and ``*args`` / ``**kwargs``)."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in parameters if p.kind not in variadic and p.name != "self"]
