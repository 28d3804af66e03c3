from __future__ import annotations

import dataclasses
import enum

import yaml

from rsl_sim.utils.log_writers import to_plain_data


class _ResolvableString(str):
    """Like Isaac Lab's entry-point strings: a str subclass a YAML dumper refuses."""

    def __str__(self) -> str:
        return "resolved"


class _Mode(enum.IntEnum):
    EXPORT_ALL = 1


@dataclasses.dataclass
class _Cfg:
    entry: str
    mode: _Mode
    ranges: tuple = (0.0, 1.0)


def test_config_objects_become_plain_yaml_data():
    data = to_plain_data({"cfg": _Cfg(_ResolvableString("pkg.module:Env"), _Mode.EXPORT_ALL), "cls": _Cfg, 3: True})
    assert data == {
        "cfg": {"entry": "pkg.module:Env", "mode": 1, "ranges": [0.0, 1.0]},
        "cls": f"{__name__}:_Cfg",
        "3": True,
    }
    assert type(data["cfg"]["entry"]) is str and type(data["cfg"]["mode"]) is int
    assert yaml.safe_load(yaml.safe_dump(data)) == data
