"""Resolution of classes and functions named in configs (``class_name`` and similar keys)."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

# rsl_sim subpackages searched (in this order) for a plain name such as "PPO" or "GaussianDistribution". They are
# imported on demand, so a subpackage that does not exist (yet) is skipped.
_SEARCHED_SUBPACKAGES = (
    "rsl_sim.algorithms",
    "rsl_sim.models",
    "rsl_sim.modules",
    "rsl_sim.modules.distribution",
    "rsl_sim.extensions",
    "rsl_sim.runners",
    "rsl_sim.storage",
    "rsl_sim.env",
    "rsl_sim.utils",
)


def resolve_callable(callable_or_name: type | Callable | str) -> Callable:
    """Turn a class, a function or a name of one into the object itself.

    Accepted forms (as in RSL-RL 5.x ``resolve_callable``):

    - a class or function: returned unchanged;
    - ``"package.module:Attr.Nested"``: the module before the colon is imported and the dotted attribute path after it
      is followed (the explicit form, recommended for user code);
    - ``"package.module.Attr"``: the longest importable module prefix is imported and the rest is looked up on it;
    - a plain name such as ``"PPO"``, ``"MLPModel"`` or ``"GaussianDistribution"``: looked up in rsl_sim's subpackages
      (algorithms, models, modules, modules.distribution, extensions, runners, storage, env, utils).

    Args:
        callable_or_name: The callable or its name.

    Returns:
        The resolved callable.

    Raises:
        TypeError: If the input is neither callable nor a string, or if the name resolves to an object that is not
            callable.
        ValueError: If the string is empty or malformed (empty module or attribute part), or if a plain name is not
            found in rsl_sim.
        ImportError: If the module part of a qualified name cannot be imported.
        AttributeError: If the module exists but the attribute path does not.
    """
    # Classes and functions pass through unchanged
    if callable(callable_or_name):
        return callable_or_name
    if not isinstance(callable_or_name, str):
        raise TypeError(
            f"Expected a class, a function or the name of one (a string), got {callable_or_name!r} of type"
            f" {type(callable_or_name).__name__}."
        )
    name = callable_or_name
    if not name:
        raise ValueError("Cannot resolve an empty name. Pass a class, 'package.module:Attr' or a plain rsl_sim name.")

    # Dispatch on the form of the name
    if ":" in name:
        obj = _resolve_colon_name(name)
    elif "." in name:
        obj = _resolve_dotted_name(name)
    else:
        obj = _resolve_plain_name(name)

    # Only callables are meaningful here (classes, functions, callable instances)
    if not callable(obj):
        raise TypeError(f"'{name}' resolved to {obj!r} of type {type(obj).__name__}, which is not callable.")
    return obj


def resolve_class(cfg: Mapping[str, Any]) -> tuple[Callable, dict[str, Any]]:
    """Resolve ``cfg["class_name"]`` and return the remaining constructor arguments.

    The input is never modified: the returned arguments are a deep copy of ``cfg`` without ``"class_name"``.

    Args:
        cfg: Config with a ``"class_name"`` entry (any form accepted by :func:`resolve_callable`) and the keyword
            arguments of that class.

    Returns:
        The resolved class (or factory) and a new dict with its keyword arguments.

    Raises:
        TypeError: If ``cfg`` is not a mapping.
        ValueError: If ``cfg`` has no ``"class_name"`` entry.
        ImportError, AttributeError: As raised by :func:`resolve_callable`.
    """
    if not isinstance(cfg, Mapping):
        raise TypeError(f"Expected a config dict with a 'class_name' key, got {cfg!r} of type {type(cfg).__name__}.")
    if "class_name" not in cfg:
        raise ValueError(f"The config has no 'class_name' key; it has the keys {list(cfg.keys())}.")
    kwargs = copy.deepcopy(dict(cfg))
    class_name = kwargs.pop("class_name")
    return resolve_callable(class_name), kwargs


def _resolve_colon_name(name: str) -> Any:
    """Resolve ``"package.module:Attr.Nested"``."""
    module_path, _, attr_path = name.partition(":")
    if not module_path or not attr_path or ":" in attr_path or "" in attr_path.split("."):
        raise ValueError(
            f"Malformed name '{name}'. Expected 'package.module:Attr' or 'package.module:Attr.Nested' with exactly one"
            " colon and non-empty parts."
        )
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as err:
        raise ImportError(f"Cannot resolve '{name}': the module '{module_path}' cannot be imported ({err}).") from err
    return _follow_attributes(module, attr_path.split("."), name)


def _resolve_dotted_name(name: str) -> Any:
    """Resolve ``"package.module.Attr"`` by importing the longest importable module prefix."""
    parts = name.split(".")
    if "" in parts:
        raise ValueError(f"Malformed name '{name}': it has an empty part between dots.")

    # Try module prefixes from the longest to the shortest; the first one that imports and holds the rest wins
    last_attribute_error: AttributeError | None = None
    for split in range(len(parts) - 1, 0, -1):
        module_path = ".".join(parts[:split])
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as err:
            # Only a missing prefix is expected here; a module that fails on its own imports is a real error
            if not _is_missing_prefix(err, module_path):
                raise
            continue
        try:
            return _follow_attributes(module, parts[split:], name)
        except AttributeError as err:
            last_attribute_error = err
    if last_attribute_error is not None:
        raise AttributeError(str(last_attribute_error)) from last_attribute_error
    raise ImportError(f"Cannot resolve '{name}': no prefix of it ('{parts[0]}', ...) is an importable module.")


def _resolve_plain_name(name: str) -> Any:
    """Resolve a plain name such as ``"PPO"`` by searching rsl_sim's subpackages."""
    searched = []
    for package_name in _SEARCHED_SUBPACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ModuleNotFoundError as err:
            # Skip subpackages that do not exist; propagate missing dependencies of existing ones
            if _is_missing_prefix(err, package_name):
                continue
            raise
        searched.append(package_name)
        if hasattr(package, name):
            return getattr(package, name)
    raise ValueError(
        f"Cannot resolve '{name}': it is not a name exported by rsl_sim (searched {searched}). Pass the class itself,"
        " or a qualified name such as 'package.module:ClassName'."
    )


def _follow_attributes(module: ModuleType, attrs: list[str], name: str) -> Any:
    """Follow the attribute path ``attrs`` starting at ``module``."""
    obj: Any = module
    for depth, attr in enumerate(attrs):
        if not hasattr(obj, attr):
            owner = ".".join([module.__name__, *attrs[:depth]])
            raise AttributeError(f"Cannot resolve '{name}': '{owner}' has no attribute '{attr}'.")
        obj = getattr(obj, attr)
    return obj


def _is_missing_prefix(err: ModuleNotFoundError, module_path: str) -> bool:
    """Whether ``err`` reports that ``module_path`` itself (or one of its parent packages) does not exist."""
    return err.name is not None and (module_path == err.name or module_path.startswith(err.name + "."))
