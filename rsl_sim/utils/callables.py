"""Resolution of classes and functions named in configs (``class_name`` and similar keys).

A config string is code: resolving ``"package.module:Attr"`` imports ``package.module`` (running its top-level code)
and the caller then calls what it names. Configs come from files users share (a run folder's ``params/agent.yaml``),
so every caller states the kind of object it expects (:class:`ExpectedKind`: a subclass of a base class, or a function
with given parameters) and the resolved object is refused, before anything calls it, when it is of another kind:
``class_name: "os:system"`` or ``"subprocess:Popen"`` never runs.
"""

from __future__ import annotations

import copy
import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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


class UnexpectedKindError(TypeError, ValueError):
    """A config names an object of another kind than the one expected there (e.g. ``os:system`` as a model class).

    Both a ``TypeError`` and a ``ValueError``, so callers that turn either into a user-facing error catch it.
    """


@dataclass(frozen=True)
class ExpectedKind:
    """The kind of object a config key must name (see :func:`subclass_of` and :func:`function_with_parameters`).

    Attributes:
        description: What is expected, for error messages, e.g. ``"a subclass of torch.nn.Module (a model)"``.
        check: Whether an object is of this kind; it only inspects the object, never calls it.
    """

    description: str
    check: Callable[[Any], bool]


def subclass_of(base: type, what: str) -> ExpectedKind:
    """The kind "a class derived from ``base``" (the class itself included).

    Args:
        base: The base class, e.g. ``torch.nn.Module``.
        what: What such a class is, for messages, e.g. ``"a model"``.
    """
    return ExpectedKind(
        description=f"a subclass of {base.__module__}.{base.__qualname__} ({what})",
        check=lambda obj: inspect.isclass(obj) and issubclass(obj, base),
    )


def class_with_method(method: str, what: str) -> ExpectedKind:
    """The kind "a class with a callable attribute ``method``" (a protocol without a common base class).

    Args:
        method: The attribute the caller uses, e.g. ``"construct_algorithm"``.
        what: What such a class is, for messages, e.g. ``"an algorithm such as PPO or Distillation"``.
    """
    return ExpectedKind(
        description=f"a class with a '{method}' method ({what})",
        check=lambda obj: inspect.isclass(obj) and callable(getattr(obj, method, None)),
    )


def function_with_parameters(parameters: Sequence[str], what: str) -> ExpectedKind:
    """The kind "a function (or callable object) that names the parameters ``parameters``", classes excluded.

    The parameters must be named in the signature (accepting them only through ``**kwargs`` does not count), so
    general-purpose callables such as ``os.system`` (a builtin without an inspectable signature) or
    ``subprocess.run`` (``*popenargs, **kwargs``) are refused.

    Args:
        parameters: Keyword arguments the function is called with, e.g. ``("env", "obs", "actions")``.
        what: What such a function is, for messages, e.g. ``"a symmetry function"``.
    """
    names = tuple(parameters)

    def check(obj: Any) -> bool:
        if inspect.isclass(obj) or inspect.isbuiltin(obj) or not callable(obj):
            return False
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            return False
        keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        named = {p.name for p in signature.parameters.values() if p.kind in keyword_kinds}
        return all(name in named for name in names)

    return ExpectedKind(description=f"a function with the parameters {list(names)} ({what})", check=check)


def resolve_callable(
    callable_or_name: type | Callable | str, expected: ExpectedKind | None = None, key: str | None = None
) -> Callable:
    """Turn a class, a function or a name of one into the object itself, and check that it is of the expected kind.

    Accepted forms (as in RSL-RL 5.x ``resolve_callable``):

    - a class or function: returned unchanged;
    - ``"package.module:Attr.Nested"``: the module before the colon is imported and the dotted attribute path after it
      is followed (the explicit form, recommended for user code);
    - ``"package.module.Attr"``: the longest importable module prefix is imported and the rest is looked up on it;
    - a plain name such as ``"PPO"``, ``"MLPModel"`` or ``"GaussianDistribution"``: looked up in rsl_sim's subpackages
      (algorithms, models, modules, modules.distribution, extensions, runners, storage, env, utils).

    Args:
        callable_or_name: The callable or its name.
        expected: The kind of object expected; None accepts any callable. Checked for names and objects alike, before
            anything calls the result.
        key: The config key the value comes from (e.g. ``"actor.class_name"``), for error messages.

    Returns:
        The resolved callable.

    Raises:
        UnexpectedKindError: If the result is not of the ``expected`` kind (a ``TypeError`` and a ``ValueError``).
        TypeError: If the input is neither callable nor a string, or if the name resolves to an object that is not
            callable.
        ValueError: If the string is empty or malformed (empty module or attribute part), or if a plain name is not
            found in rsl_sim.
        ImportError: If the module part of a qualified name cannot be imported.
        AttributeError: If the module exists but the attribute path does not.
    """
    # Classes and functions pass through unchanged (but are checked like names)
    if callable(callable_or_name):
        return _check_kind(callable_or_name, callable_or_name, expected, key)
    if not isinstance(callable_or_name, str):
        raise TypeError(
            f"Expected a class, a function or the name of one (a string), got {callable_or_name!r} of type"
            f" {type(callable_or_name).__name__}."
        )
    name = callable_or_name
    if not name:
        raise ValueError("Cannot resolve an empty name. Pass a class, 'package.module:Attr' or a plain rsl_sim name.")

    # Dispatch on the form of the name
    obj = resolve_object(name) if ":" in name or "." in name else _resolve_plain_name(name)

    # Only callables are meaningful here (classes, functions, callable instances)
    if not callable(obj):
        raise TypeError(f"'{name}' resolved to {obj!r} of type {type(obj).__name__}, which is not callable.")
    return _check_kind(obj, name, expected, key)


def resolve_object(name: str) -> Any:
    """Import the object a qualified name names: ``"package.module:Attr.Nested"`` or ``"package.module.Attr"``.

    The one resolver of such names in rsl_sim (config ``class_name`` values through :func:`resolve_callable`, task
    registration entry points, env config entry points, term functions). It only imports and looks up: callers that
    call the result check its kind first (:func:`resolve_callable` with an :class:`ExpectedKind`).

    Args:
        name: The qualified name.

    Returns:
        The object (a class, function, config object, dict, ...).

    Raises:
        ValueError: If the name is malformed (empty module or attribute part) or has no module part.
        ImportError: If the module part cannot be imported.
        AttributeError: If the module exists but the attribute path does not.
    """
    if ":" in name:
        return _resolve_colon_name(name)
    if "." in name:
        return _resolve_dotted_name(name)
    raise ValueError(f"'{name}' is not a qualified name; give 'package.module:Attr'.")


def resolve_class(
    cfg: Mapping[str, Any], expected: ExpectedKind | None = None, key: str | None = None
) -> tuple[Callable, dict[str, Any]]:
    """Resolve ``cfg["class_name"]`` and return the remaining constructor arguments.

    The input is never modified: the returned arguments are a deep copy of ``cfg`` without ``"class_name"``.

    Args:
        cfg: Config with a ``"class_name"`` entry (any form accepted by :func:`resolve_callable`) and the keyword
            arguments of that class.
        expected: The kind of class expected (e.g. ``subclass_of(nn.Module, "a model")``); None accepts any callable.
        key: The config entry, e.g. ``"actor"`` (messages then name ``actor.class_name``).

    Returns:
        The resolved class (or factory) and a new dict with its keyword arguments.

    Raises:
        TypeError: If ``cfg`` is not a mapping.
        ValueError: If ``cfg`` has no ``"class_name"`` entry.
        UnexpectedKindError: If the class is not of the ``expected`` kind.
        ImportError, AttributeError: As raised by :func:`resolve_callable`.
    """
    if not isinstance(cfg, Mapping):
        raise TypeError(f"Expected a config dict with a 'class_name' key, got {cfg!r} of type {type(cfg).__name__}.")
    if "class_name" not in cfg:
        raise ValueError(f"The config has no 'class_name' key; it has the keys {list(cfg.keys())}.")
    kwargs = copy.deepcopy(dict(cfg))
    class_name = kwargs.pop("class_name")
    return resolve_callable(class_name, expected, f"{key}.class_name" if key else "class_name"), kwargs


def _check_kind(obj: Any, name: Any, expected: ExpectedKind | None, key: str | None) -> Any:
    """Return ``obj`` if it is of the ``expected`` kind, else raise :class:`UnexpectedKindError` (nothing is called)."""
    if expected is None or expected.check(obj):
        return obj
    where = f"{key} " if key else ""
    shown = name if isinstance(name, str) else getattr(obj, "__qualname__", repr(obj))
    raise UnexpectedKindError(
        f"{where}{shown!r} resolved to {_describe(obj)}, but {expected.description} is expected there; it was not"
        " called. A config's class names are code: load configs (e.g. a run's params/agent.yaml) only from sources"
        " you trust."
    )


def _describe(obj: Any) -> str:
    """``"the class subprocess.Popen"``, ``"the function os.system"``, ``"a MirrorFunction object"``."""
    qualified = f"{getattr(obj, '__module__', None) or '?'}.{getattr(obj, '__qualname__', type(obj).__name__)}"
    if inspect.isclass(obj):
        return f"the class {qualified}"
    if inspect.isroutine(obj):
        return f"the function {qualified}"
    return f"a {type(obj).__name__} object"


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
