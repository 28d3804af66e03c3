from __future__ import annotations

import copy
import warnings

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.utils import resolve_obs_groups


def _obs(*groups: str) -> TensorDict:
    return TensorDict({g: torch.zeros(4, 3) for g in groups}, batch_size=[4])


def test_valid_config_returned_as_new_dict_without_warnings():
    obs = _obs("policy", "privileged")
    cfg = {"actor": ["policy"], "critic": ["policy", "privileged"]}
    snapshot = copy.deepcopy(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolved = resolve_obs_groups(obs, cfg, ["actor", "critic"])
    assert resolved == snapshot
    assert resolved is not cfg and resolved["actor"] is not cfg["actor"]
    resolved["actor"].append("privileged")
    assert cfg == snapshot


def test_missing_critic_uses_same_named_group_first():
    obs = _obs("policy", "critic")
    cfg = {"actor": ["policy"]}
    with pytest.warns(UserWarning, match="'critic'"):
        resolved = resolve_obs_groups(obs, cfg, ["actor", "critic"])
    assert resolved == {"actor": ["policy"], "critic": ["critic"]}
    assert cfg == {"actor": ["policy"]}


def test_missing_set_falls_back_to_policy_group():
    obs = _obs("policy", "privileged")
    with pytest.warns(UserWarning, match="'policy'"):
        resolved = resolve_obs_groups(obs, {"actor": ["policy", "privileged"]}, ["actor", "critic"])
    assert resolved["critic"] == ["policy"]


def test_empty_config_warns_and_fills_all_defaults():
    obs = _obs("policy")
    cfg: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolved = resolve_obs_groups(obs, cfg, ["actor", "critic"])
    messages = [str(w.message) for w in caught]
    assert len(messages) == 3 and "empty" in messages[0] and "'critic'" in messages[2]
    assert resolved == {"actor": ["policy"], "critic": ["policy"]}
    assert cfg == {}


def test_unresolvable_default_raises():
    obs = _obs("proprio", "camera")
    with pytest.raises(ValueError, match="'critic'.*\\['proprio', 'camera'\\]"):
        resolve_obs_groups(obs, {"actor": ["proprio"]}, ["actor", "critic"])


def test_missing_group_raises_with_names():
    obs = _obs("policy", "critic")
    with pytest.raises(ValueError, match="'height_scan'.*'critic'.*\\['policy', 'critic'\\]"):
        resolve_obs_groups(obs, {"actor": ["policy"], "critic": ["policy", "height_scan"]}, ["actor", "critic"])


def test_empty_group_list_raises():
    with pytest.raises(ValueError, match="'critic'.*empty"):
        resolve_obs_groups(_obs("policy"), {"actor": ["policy"], "critic": []}, ["actor", "critic"])


def test_string_instead_of_list_raises():
    with pytest.raises(TypeError, match="\\['policy'\\]"):
        resolve_obs_groups(_obs("policy"), {"actor": "policy"}, ["actor"])


def test_extra_sets_are_kept_and_checked():
    obs = _obs("policy", "rnd")
    resolved = resolve_obs_groups(obs, {"actor": ["policy"], "critic": ["policy"], "rnd_state": ["rnd"]}, ["actor"])
    assert resolved["rnd_state"] == ["rnd"]


def test_prints_resolved_mapping(capsys):
    resolve_obs_groups(_obs("policy"), {"actor": ["policy"], "critic": ["policy"]}, ["actor", "critic"])
    out = capsys.readouterr().out
    assert "Resolved observation sets" in out and "critic: ['policy']" in out
