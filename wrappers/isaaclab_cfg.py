"""Isaac Lab RSL-RL agent configs -> rsl_sim train config dicts.

Import as ``rsl_sim.wrappers.isaaclab_cfg``. Needs no Isaac Lab import: configclass objects are converted through
their own ``to_dict()`` method.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["ISAACLAB_RUNNER_KEYS", "agent_cfg_to_dict"]

ISAACLAB_RUNNER_KEYS = (
    "class_name",
    "seed",
    "device",
    "max_iterations",
    "init_at_random_ep_len",
    "empirical_normalization",
    "clip_actions",
    "experiment_name",
    "run_name",
    "logger",
    "neptune_project",
    "wandb_project",
    "resume",
    "load_run",
    "load_checkpoint",
)
"""Top-level keys of Isaac Lab's ``RslRlBaseRunnerCfg`` that describe the run rather than the learner.

They are passed through unchanged; rsl_sim's runners accept them (``empirical_normalization`` only when no legacy
``policy`` entry consumed it; it is deprecated and has no effect there).
"""

MODEL_KEYS = ("actor", "critic", "student", "teacher")
"""Model entries of a runner config (PPO: actor + critic; distillation: student + teacher)."""

LEGACY_MODEL_KEYS = ("stochastic", "init_noise_std", "noise_std_type", "state_dependent_std")
"""Pre-5.0 output-distribution fields of Isaac Lab's ``RslRlMLPModelCfg``, replaced by ``distribution_cfg``."""

KEEP_EMPTY_KEYS = ("obs_groups",)
"""Keys whose empty-dict value is meaningful (``obs_groups == {}``: default observation sets) and is kept."""


def agent_cfg_to_dict(agent_cfg: Any) -> dict[str, Any]:
    """Turn an Isaac Lab RSL-RL agent config into the plain train config dict that rsl_sim's runners take.

    Accepts ``RslRlOnPolicyRunnerCfg`` / ``RslRlDistillationRunnerCfg`` objects (and subclasses, e.g. the agent configs
    registered with Isaac Lab's tasks) as they are, or the dict their ``to_dict()`` returns. The result holds every
    key of the input with its value, with these changes, each announced with a ``FutureWarning`` where a value moves:

    - Fields left unset (``dataclasses.MISSING``, which ``to_dict()`` writes as ``{}``) are left out: they hold no
      value. An empty ``obs_groups`` is kept (it selects the default observation sets).
    - The pre-4.0 ``policy`` entry (``ActorCritic``, ``ActorCriticRecurrent``, ``StudentTeacher``,
      ``StudentTeacherRecurrent``) fills ``actor`` / ``critic`` (or ``student`` / ``teacher``) when those are unset,
      as Isaac Lab does for RSL-RL >= 4, and is removed. A runner-level ``empirical_normalization`` is moved into
      that policy's unset ``*_obs_normalization`` fields first. ``StudentTeacherRecurrent`` with
      ``teacher_recurrent=False`` gives an MLP teacher (Isaac Lab always builds a recurrent one).
    - The pre-5.0 model fields ``stochastic``, ``init_noise_std``, ``noise_std_type``, ``state_dependent_std`` are
      turned into ``distribution_cfg`` (``GaussianDistribution``, or ``HeteroscedasticGaussianDistribution`` for a
      state-dependent std) when ``distribution_cfg`` is None and ``stochastic`` is True, and are then removed.

    Callables (e.g. ``symmetry_cfg.data_augmentation_func``) arrive as ``"module:name"`` strings, which rsl_sim
    resolves like class names. The runner-level keys of :data:`ISAACLAB_RUNNER_KEYS` are kept as they are.

    Args:
        agent_cfg: The agent configclass object, or its ``to_dict()`` output (not modified).

    Returns:
        A new nested dict.

    Raises:
        TypeError: If ``agent_cfg`` is neither a mapping nor an object with a ``to_dict()`` method.
        ValueError: If a legacy ``policy`` entry has an unknown ``class_name``, or a legacy stochastic model has no
            ``init_noise_std``.
    """
    # Plain data first: configclass objects convert themselves
    if isinstance(agent_cfg, Mapping):
        cfg = copy.deepcopy(dict(agent_cfg))
    elif callable(getattr(agent_cfg, "to_dict", None)):
        cfg = agent_cfg.to_dict()
    else:
        raise TypeError(
            "agent_cfg must be an Isaac Lab RSL-RL runner configclass (e.g. RslRlOnPolicyRunnerCfg) or its to_dict()"
            f" output, got {type(agent_cfg).__name__}."
        )
    cfg = _drop_unset(cfg)

    # Pre-4.0 'policy' entry -> model entries
    if "policy" in cfg:
        _migrate_policy(cfg)

    # Pre-5.0 stochastic fields -> distribution_cfg
    for name in MODEL_KEYS:
        if isinstance(cfg.get(name), dict):
            _migrate_distribution(cfg[name], name)
    return cfg


def _is_unset(value: Any) -> bool:
    """Whether a config value is an unset field (``MISSING`` itself, or the ``{}`` that ``to_dict()`` makes of it)."""
    return value is dataclasses.MISSING or (isinstance(value, dict) and not value)


def _drop_unset(data: Any) -> Any:
    """Recursively remove unset fields from dicts (lists and tuples are walked too)."""
    if isinstance(data, dict):
        return {
            key: _drop_unset(value) for key, value in data.items() if key in KEEP_EMPTY_KEYS or not _is_unset(value)
        }
    if isinstance(data, (list, tuple)):
        return type(data)(_drop_unset(value) for value in data)
    return data


def _announce(message: str) -> None:
    """Tell the user about a config value that was moved or is not used."""
    warnings.warn(message, FutureWarning, stacklevel=4)


def _gaussian(init_std: float, std_type: str, state_dependent: bool) -> dict[str, Any]:
    """A ``distribution_cfg`` dict for a (heteroscedastic) Gaussian output."""
    class_name = "HeteroscedasticGaussianDistribution" if state_dependent else "GaussianDistribution"
    return {"class_name": class_name, "init_std": init_std, "std_type": std_type}


def _migrate_policy(cfg: dict[str, Any]) -> None:
    """Replace the pre-4.0 ``policy`` entry with model entries (in place)."""
    policy = cfg.pop("policy")
    if not isinstance(policy, dict):
        raise ValueError(f"'policy' must be a config of the legacy policy networks, got {policy!r}.")
    class_name = policy.get("class_name")
    builders = {
        "ActorCritic": _actor_critic_models,
        "ActorCriticRecurrent": _actor_critic_models,
        "StudentTeacher": _student_teacher_models,
        "StudentTeacherRecurrent": _student_teacher_models,
    }
    if class_name not in builders:
        raise ValueError(f"Unknown legacy policy class_name {class_name!r}; valid: {sorted(builders)}.")

    # The runner-level normalization flag belongs to the legacy policy's networks
    if "empirical_normalization" in cfg:
        flag = cfg.pop("empirical_normalization")
        prefixes = ("actor", "critic") if class_name.startswith("ActorCritic") else ("student", "teacher")
        for prefix in prefixes:
            policy.setdefault(f"{prefix}_obs_normalization", flag)
        _announce(f"'empirical_normalization'={flag!r} was moved into the legacy 'policy' networks' obs_normalization.")

    # Fill the unset model entries; set ones win over the legacy entry
    models = builders[class_name](policy, recurrent=class_name.endswith("Recurrent"))
    filled = [name for name in models if name not in cfg]
    for name in filled:
        cfg[name] = models[name]
    ignored = [name for name in models if name not in filled]
    _announce(
        f"The legacy 'policy' entry ({class_name}) is replaced by model entries: filled {filled}"
        + (f", ignored for {ignored} (already set)." if ignored else ".")
    )


def _network(policy: dict[str, Any], prefix: str, recurrent: bool, distribution: dict | None) -> dict[str, Any]:
    """One model entry from the legacy policy's ``<prefix>_hidden_dims`` / ``<prefix>_obs_normalization`` fields."""
    model: dict[str, Any] = {"class_name": "RNNModel" if recurrent else "MLPModel"}
    if f"{prefix}_hidden_dims" in policy:
        model["hidden_dims"] = policy[f"{prefix}_hidden_dims"]
    if "activation" in policy:
        model["activation"] = policy["activation"]
    if f"{prefix}_obs_normalization" in policy:
        model["obs_normalization"] = policy[f"{prefix}_obs_normalization"]
    model["distribution_cfg"] = distribution
    if recurrent:
        for key in ("rnn_type", "rnn_hidden_dim", "rnn_num_layers"):
            if key in policy:
                model[key] = policy[key]
    return model


def _policy_init_std(policy: dict[str, Any]) -> float:
    """The legacy policy's ``init_noise_std`` (required)."""
    if "init_noise_std" not in policy:
        raise ValueError(f"The legacy policy {policy.get('class_name')!r} has no 'init_noise_std'.")
    return policy["init_noise_std"]


def _actor_critic_models(policy: dict[str, Any], recurrent: bool) -> dict[str, dict[str, Any]]:
    """Actor and critic entries of a legacy ``ActorCritic[Recurrent]`` policy."""
    std_type = policy.get("noise_std_type", "scalar")
    state_dependent = bool(policy.get("state_dependent_std", False))
    actor_output = _gaussian(_policy_init_std(policy), std_type, state_dependent)
    return {
        "actor": _network(policy, "actor", recurrent, actor_output),
        "critic": _network(policy, "critic", recurrent, None),
    }


def _student_teacher_models(policy: dict[str, Any], recurrent: bool) -> dict[str, dict[str, Any]]:
    """Student and teacher entries of a legacy ``StudentTeacher[Recurrent]`` policy (teacher std 0)."""
    std_type = policy.get("noise_std_type", "scalar")
    student_output = _gaussian(_policy_init_std(policy), std_type, False)
    teacher_recurrent = recurrent and bool(policy.get("teacher_recurrent", False))
    return {
        "student": _network(policy, "student", recurrent, student_output),
        "teacher": _network(policy, "teacher", teacher_recurrent, _gaussian(0.0, "scalar", False)),
    }


def _migrate_distribution(model: dict[str, Any], name: str) -> None:
    """Turn a model entry's pre-5.0 stochastic fields into ``distribution_cfg`` and remove them (in place)."""
    legacy = {key: model.pop(key) for key in LEGACY_MODEL_KEYS if key in model}
    if not legacy:
        return
    stochastic = legacy.get("stochastic") is True
    if stochastic and model.get("distribution_cfg") is None:
        if "init_noise_std" not in legacy:
            raise ValueError(f"'{name}' sets stochastic=True without 'init_noise_std' (or set 'distribution_cfg').")
        model["distribution_cfg"] = _gaussian(
            legacy["init_noise_std"],
            legacy.get("noise_std_type", "scalar"),
            bool(legacy.get("state_dependent_std", False)),
        )
        _announce(
            f"'{name}': the legacy stochastic fields {legacy} became distribution_cfg {model['distribution_cfg']}."
        )
        return

    # Not migrated: say so when a legacy field carried a non-default value
    defaults = {"noise_std_type": "scalar", "state_dependent_std": False, "stochastic": False}
    unused = {key: value for key, value in legacy.items() if defaults.get(key, object()) != value}
    if unused:
        reason = "distribution_cfg is set" if model.get("distribution_cfg") is not None else "stochastic is not True"
        _announce(f"'{name}': the legacy fields {unused} are not used ({reason}); use distribution_cfg instead.")
