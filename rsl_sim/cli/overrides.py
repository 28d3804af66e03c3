"""Command-line config overrides: ``agent.algorithm.learning_rate=3e-4``, ``env.scene.num_envs=256``.

Each override is a positional ``key=value`` argument (the Hydra syntax of Isaac Lab's scripts). The first part of the
key names the config it changes (``agent``: the agent/train dict; ``env``: the env config object); the rest walks
nested dict keys and dataclass fields, separated by dots. Values are YAML scalars or flow collections (``3e-4``,
``true``, ``null``, ``[-1, 1]``, ``{a: 1}``) and must fit the value they replace:

- numbers: an int entry takes integers (``1e3`` is fine, ``1.5`` is not), a float entry any number;
- a bool entry takes ``true``/``false`` only; a string entry takes the text as written (``run_name=2024``: ``"2024"``);
- a tuple takes a list of the same length (``ranges.lin_vel_x=[-1,1]``), a list any list, a dict a dict;
- ``null`` is accepted by dict entries and by dataclass fields whose type allows ``None`` (e.g. disabling
  ``env.scene.height_scanner``), a config group (dataclass) cannot be replaced by a value: set its fields instead.

Unknown keys are errors naming the valid keys at that level. ``+agent.algorithm.new_key=value`` adds a key that a dict
does not have yet (dataclass fields cannot be added).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import CliError

# Strings YAML 1.1 leaves as text but users mean as numbers ("3e-4", "1E5", "-2.5e+3")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Override:
    """One parsed ``[+]namespace.path=value`` argument.

    Attributes:
        namespace: Which config it changes, e.g. ``"agent"`` or ``"env"``.
        path: The keys below the namespace, e.g. ``("algorithm", "learning_rate")``.
        value: The parsed value.
        raw: The value exactly as typed (used for string entries).
        add: Whether the key may be new (``+`` prefix).
        text: The whole argument as typed.
    """

    namespace: str
    path: tuple[str, ...]
    value: Any
    raw: str
    add: bool
    text: str

    @property
    def key(self) -> str:
        """The dotted key with its namespace, e.g. ``"agent.algorithm.learning_rate"``."""
        return ".".join((self.namespace, *self.path))


def is_override(token: str) -> bool:
    """Whether a positional command-line token is a ``key=value`` override."""
    return "=" in token and not token.startswith("-")


def parse_value(raw: str) -> Any:
    """Parse an override value as YAML (scalars, ``[lists]``, ``{dicts}``), reading ``3e-4`` and ``None`` as Python.

    Raises:
        CliError: If the text is not valid YAML.
    """
    import yaml

    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        problem = str(error).splitlines()[0]
        raise CliError(f"cannot read the value {raw!r}: {problem}. Use YAML: 0.001, true, null, [-1, 1].") from None
    return _numbers_from_text(value)


def parse_overrides(tokens: Iterable[str], namespaces: Sequence[str]) -> list[Override]:
    """Parse ``key=value`` tokens.

    Args:
        tokens: The positional arguments.
        namespaces: Accepted first key parts, e.g. ``("agent", "env")``.

    Returns:
        The overrides in command-line order.

    Raises:
        CliError: For a token without ``=``, an empty key, or an unknown namespace.
    """
    overrides = []
    for token in tokens:
        if not is_override(token):
            raise CliError(f"unexpected argument {token!r}: overrides are written key=value, e.g. agent.seed=1.")
        key, _, raw = token.partition("=")
        add = key.startswith("+")
        parts = tuple(key.lstrip("+").split("."))
        if any(not part for part in parts) or len(parts) < 2:
            layout = f"<{'|'.join(namespaces)}>.<key>[.<key>...]=value"
            raise CliError(f"bad override key {key!r} in {token!r}: write {layout}.")
        if parts[0] not in namespaces:
            raise CliError(
                f"unknown override {key!r}: keys start with one of {[f'{n}.' for n in namespaces]}, e.g."
                f" {namespaces[0]}.{'.'.join(parts[1:]) if parts[0] else 'seed'}={raw}."
            )
        overrides.append(Override(parts[0], parts[1:], parse_value(raw), raw, add, token))
    return overrides


def select(overrides: Iterable[Override], namespace: str) -> list[Override]:
    """The overrides of one namespace."""
    return [override for override in overrides if override.namespace == namespace]


def apply_overrides(config: Any, overrides: Iterable[Override]) -> Any:
    """Apply overrides to a deep copy of ``config`` (a dict or a dataclass object such as an env config).

    Args:
        config: The config; not modified.
        overrides: Overrides whose path is walked from ``config`` (their namespace names ``config``).

    Returns:
        The changed copy.

    Raises:
        CliError: For an unknown key (with the valid keys at that level) or a value that does not fit.
    """
    config = copy.deepcopy(config)
    for override in overrides:
        _apply_one(config, override)
    return config


def _apply_one(config: Any, override: Override) -> None:
    """Walk ``override.path`` from ``config`` and set the last entry."""
    node, where = config, override.namespace
    for part in override.path[:-1]:
        node = _child(node, part, where, override)
        where = f"{where}.{part}"
        if node is None:
            raise CliError(
                f"{where} is None (switched off), so {override.key} cannot be set; give {where} a value first or drop"
                " the override."
            )
    name = override.path[-1]
    if isinstance(node, dict):
        exists = name in node
        if not exists and not override.add:
            raise CliError(_unknown_key(name, list(node), where, can_add=True))
        current = node.get(name)
        node[name] = _fit(current, override, nullable=True) if exists else override.value
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = {field.name: field for field in dataclasses.fields(node)}
        if name not in fields:
            raise CliError(_unknown_key(name, list(fields), where, can_add=False))
        nullable = "None" in str(fields[name].type) or "Optional" in str(fields[name].type)
        setattr(node, name, _fit(getattr(node, name), override, nullable=nullable))
    else:
        raise CliError(f"{where} is a {type(node).__name__} ({node!r}), it has no keys: {override.key} cannot be set.")


def _child(node: Any, part: str, where: str, override: Override) -> Any:
    """The entry ``part`` of a dict or dataclass node."""
    if isinstance(node, dict):
        if part not in node:
            raise CliError(_unknown_key(part, list(node), where, can_add=False))
        return node[part]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        names = [field.name for field in dataclasses.fields(node)]
        if part not in names:
            raise CliError(_unknown_key(part, names, where, can_add=False))
        return getattr(node, part)
    raise CliError(f"{where} is a {type(node).__name__} ({node!r}), it has no key '{part}': {override.key} is invalid.")


def _unknown_key(name: str, valid: list[str], where: str, can_add: bool) -> str:
    """Message for an unknown key, listing the valid ones (and the closest match)."""
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    add = f" To add a new key, write +{where}.{name}=<value>." if can_add and not close else ""
    return f"unknown key '{name}' in {where}. Valid keys there: {sorted(valid)}.{hint}{add}"


def _fit(current: Any, override: Override, nullable: bool) -> Any:
    """The override's value converted to the kind of ``current``, or a :class:`CliError` saying what fits."""
    value = override.value
    if current is None or current is dataclasses.MISSING or _is_missing(current):
        return value
    if value is None:
        if nullable:
            return None
        raise CliError(f"{override.key} cannot be null (its type does not allow None); give {_kind(current)}.")
    return _convert(current, value, override.raw, override)


def _convert(current: Any, value: Any, raw: str | None, override: Override) -> Any:
    """Convert ``value`` to the kind of ``current`` (recursively for tuples and lists)."""
    bad = CliError(f"bad value {override.text!r}: {override.key} is {_kind(current)} ({current!r}), got {value!r}.")
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        raise bad
    if isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        if isinstance(value, float) and not value.is_integer():
            raise bad
        return int(value)
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if isinstance(current, str):
        if isinstance(value, (list, dict)):
            raise bad
        return raw if raw is not None else str(value)
    if isinstance(current, tuple):
        if not isinstance(value, (list, tuple)) or len(value) != len(current):
            raise CliError(f"bad value {override.text!r}: {override.key} is a {len(current)}-tuple ({current!r}).")
        return tuple(_convert(c, v, None, override) if c is not None else v for c, v in zip(current, value))
    if isinstance(current, list):
        if not isinstance(value, (list, tuple)):
            raise bad
        kinds = {type(item) for item in current}
        if len(kinds) == 1 and current[0] is not None and not isinstance(current[0], (dict, list, tuple)):
            return [_convert(current[0], item, None, override) for item in value]
        return list(value)
    if isinstance(current, Mapping):
        if not isinstance(value, Mapping):
            raise bad
        return dict(value)
    if dataclasses.is_dataclass(current):
        names = [field.name for field in dataclasses.fields(current)]
        raise CliError(
            f"{override.key} is a config group ({type(current).__name__}); set its fields one by one, e.g."
            f" {override.key}.{names[0] if names else '<field>'}=<value>. Fields: {names}."
        )
    if type(value) is type(current):
        return value
    raise CliError(f"{override.key} holds a {type(current).__name__} ({current!r}), which the command line cannot set.")


def _kind(value: Any) -> str:
    """A readable name of a value's kind, with its article ("an int", "a list")."""
    kinds = {bool: "a bool", int: "an int", float: "a float", str: "a string", tuple: "a tuple", list: "a list"}
    return kinds.get(type(value), "a dict" if isinstance(value, Mapping) else f"a {type(value).__name__}")


def _is_missing(value: Any) -> bool:
    """Whether a configclass field is unset (Isaac Lab uses ``dataclasses.MISSING``)."""
    return isinstance(value, str) and value == "MISSING"


def _numbers_from_text(value: Any) -> Any:
    """Turn number-like strings (``"3e-4"``) and ``"None"`` into numbers / None, recursively."""
    if isinstance(value, str):
        if _NUMBER.match(value):
            number = float(value)
            return int(number) if re.fullmatch(r"[-+]?\d+", value) else number
        return None if value == "None" else value
    if isinstance(value, list):
        return [_numbers_from_text(item) for item in value]
    if isinstance(value, dict):
        return {key: _numbers_from_text(item) for key, item in value.items()}
    return value
