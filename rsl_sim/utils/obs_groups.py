"""Validation of the ``obs_groups`` config: which observation groups feed which observation set."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

from tensordict import TensorDict

OBS_SETS = ("actor", "critic", "student", "teacher", "rnd_state")
"""The observation sets the learner reads (keys of ``obs_groups``), as listed by RSL-RL 5.x's ``VecEnv``: the inputs of
the actor, critic, student and teacher models and of curiosity (RND)."""


LEGACY_ACTING_SET = "policy"
"""RSL-RL 3.x's name of the acting model's set (``actor`` for PPO, ``student`` for distillation since 4.0)."""


def resolve_obs_groups(
    obs: TensorDict | Mapping,
    obs_groups: Mapping[str, Sequence[str]],
    default_sets: Sequence[str],
    valid_sets: Sequence[str] = (),
) -> dict[str, list[str]]:
    """Check the ``obs_groups`` config against the environment's observations and fill in missing sets.

    ``obs_groups`` maps an observation *set* (a consumer such as ``"actor"``, ``"critic"``, ``"student"``,
    ``"teacher"``, ``"rnd_state"``) to the list of observation *groups* (keys of the environment's observation
    ``TensorDict``) concatenated to form its input, e.g. ``{"actor": ["policy"], "critic": ["policy", "privileged"]}``.

    Every set name must be one the learner reads (:data:`OBS_SETS`, ``default_sets`` or ``valid_sets``): RSL-RL 5.x
    ignores an unknown name silently, so a typo (``"critc"``) would drop its groups; here it is an error. The pre-4.0
    name ``"policy"`` of the acting model's set is read as ``"actor"`` (or ``"student"`` when the algorithm reads a
    student), with a ``FutureWarning``, as RSL-RL 3.x meant it. Every listed group must exist in ``obs``. A set named
    in ``default_sets`` but absent from ``obs_groups`` is filled as RSL-RL 5.x does, with a warning:

    1. with the group of the same name, if ``obs`` has one (e.g. a ``"critic"`` group for the ``"critic"`` set);
    2. otherwise with the ``"policy"`` group, if ``obs`` has one;
    3. otherwise a ``ValueError`` is raised.

    The resolved mapping is printed. The inputs are never modified.

    Args:
        obs: Observations from the environment, a ``TensorDict`` (or mapping) of groups with batch size
            ``[num_envs]``.
        obs_groups: Config mapping observation sets to lists of observation groups. May be empty (a warning is
            issued and every default set is filled by the rules above).
        default_sets: Observation sets the algorithm needs (e.g. ``["actor", "critic"]``).
        valid_sets: Further set names a custom algorithm or extension reads (besides :data:`OBS_SETS` and
            ``default_sets``).

    Returns:
        A new dict mapping every configured and every default set to a new list of group names.

    Raises:
        TypeError: If a set maps to a plain string instead of a list of group names.
        ValueError: If a set name is unknown (the message lists the valid names), ``"policy"`` is given next to the set
            it stands for, a set maps to an empty list, names a
            group missing from ``obs`` (the message names the group, the set and the available groups), or a default
            set cannot be filled.
    """
    available = list(obs.keys())

    # Copy the config so that the caller's dict and lists stay untouched
    resolved: dict[str, list[str]] = {}
    if len(obs_groups) == 0:
        warnings.warn(
            "The 'obs_groups' config is empty, so every observation set falls back to a default group. Configure"
            f" 'obs_groups' explicitly, e.g. {{'actor': ['policy'], 'critic': ['policy']}}. Available observation"
            f" groups: {available}.",
            stacklevel=2,
        )
    known = list(dict.fromkeys([*OBS_SETS, *default_sets, *valid_sets]))
    for set_name, groups in obs_groups.items():
        if set_name == LEGACY_ACTING_SET and set_name not in known:
            set_name = _rename_legacy_acting_set(obs_groups, default_sets)
        if set_name not in known:
            raise ValueError(
                f"Unknown observation set '{set_name}' in 'obs_groups' (it maps to {groups!r}). Valid observation"
                f" sets: {known}; 'obs_groups' maps these to observation groups of the env ({available})."
            )
        if isinstance(groups, str):
            raise TypeError(
                f"Observation set '{set_name}' in 'obs_groups' must be a list of group names, got the string"
                f" '{groups}'. Write ['{groups}'] instead."
            )
        resolved[set_name] = list(groups)

    # Every configured set needs at least one group, and every group must exist in the observations
    for set_name, groups in resolved.items():
        if len(groups) == 0:
            raise ValueError(f"Observation set '{set_name}' in 'obs_groups' is an empty list; name at least one group.")
        for group in groups:
            if group not in obs:
                raise ValueError(
                    f"Observation group '{group}' of observation set '{set_name}' is not in the observations of the"
                    f" environment. Available observation groups: {available}."
                )

    # Fill the sets the algorithm needs but the config does not name
    for set_name in default_sets:
        if set_name in resolved:
            continue
        if set_name in obs:
            fallback = set_name
        elif "policy" in obs:
            fallback = "policy"
        else:
            raise ValueError(
                f"The 'obs_groups' config has no '{set_name}' set and the observations have neither a '{set_name}' nor"
                f" a 'policy' group to fall back on. Add '{set_name}' to 'obs_groups' with groups from {available}."
            )
        resolved[set_name] = [fallback]
        warnings.warn(
            f"The 'obs_groups' config has no '{set_name}' set; using the observation group '{fallback}' for it. Add"
            f" '{set_name}': ['{fallback}'] to 'obs_groups' to make this explicit.",
            stacklevel=2,
        )

    # Show the final mapping
    print("-" * 80)
    print("Resolved observation sets:")
    for set_name, groups in resolved.items():
        print(f"\t{set_name}: {groups}")
    print("-" * 80)

    return resolved


def _rename_legacy_acting_set(obs_groups: Mapping[str, Sequence[str]], default_sets: Sequence[str]) -> str:
    """The set that RSL-RL 3.x's ``"policy"`` set stands for here (``actor`` or ``student``), with a warning.

    RSL-RL 5.x ignores a ``"policy"`` set (the acting model then falls back to the ``"policy"`` group, dropping any
    other group listed); Isaac Lab's older agent configs still write it. Here it feeds the acting model, as in 3.x.

    Raises:
        ValueError: If the algorithm has no acting set or the config also names it (the message names both).
    """
    target = next((name for name in ("actor", "student") if name in default_sets), None)
    if target is None:
        return LEGACY_ACTING_SET  # reported as unknown by the caller
    if target in obs_groups:
        raise ValueError(
            f"'obs_groups' has both '{LEGACY_ACTING_SET}' (RSL-RL 3.x's name of the acting set) and '{target}'; remove"
            f" '{LEGACY_ACTING_SET}' (5.x ignores it) or rename it '{target}'."
        )
    warnings.warn(
        f"'obs_groups' names the set '{LEGACY_ACTING_SET}', RSL-RL 3.x's name of the acting model's input; it is used"
        f" as '{target}' (RSL-RL 5.x would ignore it and fall back to the 'policy' group). Rename it '{target}'.",
        FutureWarning,
        stacklevel=3,
    )
    return target
