"""Configuration errors of the models: each names the bad value and the valid choices."""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.models import CNNModel, CNNRNNModel, MLPModel, RNNModel
from rsl_sim.models.export import export_to_jit, export_to_onnx
from rsl_sim.modules import CNN
from rsl_sim.utils import resolve_class

# TorchScript is deprecated in torch >= 2.10 but still the format deployments load
pytestmark = pytest.mark.filterwarnings(r"ignore:.*torch\.jit\..*deprecated:DeprecationWarning")

N = 3
GROUPS = {"actor": ["policy"], "camera": ["policy", "depth"], "mixed": ["policy", "depth"]}
CNN_CFG = {"output_channels": [4], "kernel_size": 3}


@pytest.fixture
def obs() -> TensorDict:
    return TensorDict(
        {
            "policy": torch.randn(N, 4),
            "depth": torch.randn(N, 1, 6, 6),
            "rgb": torch.randn(N, 3, 6, 6),
            "height_scan": torch.randn(N, 2, 5),
        },
        batch_size=[N],
    )


def test_unknown_activation(obs):
    with pytest.raises(ValueError, match=r"(?s)'swoosh'.*elu"):
        MLPModel(obs, GROUPS, "actor", 2, activation="swoosh")


def test_unknown_distribution_class_name(obs):
    with pytest.raises(ValueError, match=r"(?s)'LaplaceDistribution'.*GaussianDistribution"):
        MLPModel(obs, GROUPS, "actor", 2, distribution_cfg={"class_name": "LaplaceDistribution"})
    with pytest.raises(ValueError, match=r"(?s)no 'class_name'.*GaussianDistribution"):
        MLPModel(obs, GROUPS, "actor", 2, distribution_cfg={"init_std": 1.0})
    with pytest.raises(TypeError, match="distribution_cfg must be a dict"):
        MLPModel(obs, GROUPS, "actor", 2, distribution_cfg="GaussianDistribution")


def test_unknown_distribution_key(obs):
    cfg = {"class_name": "GaussianDistribution", "init_sdt": 1.0}
    with pytest.raises(ValueError, match=r"(?s)\['init_sdt'\].*init_std"):
        MLPModel(obs, GROUPS, "actor", 2, distribution_cfg=cfg)


def test_unknown_model_class_name():
    with pytest.raises(ValueError, match="MLPModle"):
        resolve_class({"class_name": "MLPModle"})
    with pytest.raises(AttributeError, match="NoSuchModel"):
        resolve_class({"class_name": "rsl_sim.models:NoSuchModel"})


def test_unknown_rnn_type(obs):
    with pytest.raises(ValueError, match=r"(?s)'transformer'.*lstm.*gru"):
        RNNModel(obs, GROUPS, "actor", 2, rnn_type="transformer")


def test_missing_obs_set(obs):
    with pytest.raises(ValueError, match=r"(?s)'student'.*\['actor', 'camera', 'mixed'\]"):
        MLPModel(obs, GROUPS, "student", 2)


def test_missing_obs_group(obs):
    groups = {"actor": ["policy", "privileged"]}
    for model_class in (MLPModel, RNNModel):
        with pytest.raises(ValueError, match=r"(?s)'privileged'.*'actor'.*\['policy', 'depth', 'rgb', 'height_scan'\]"):
            model_class(obs, groups, "actor", 2)
    with pytest.raises(ValueError, match="'privileged'"):
        CNNModel(obs, {"actor": ["depth", "privileged"]}, "actor", 2, cnn_cfg=CNN_CFG)


def test_bad_obs_group_lists(obs):
    with pytest.raises(TypeError, match="list of group names"):
        MLPModel(obs, {"actor": "policy"}, "actor", 2)
    with pytest.raises(ValueError, match="empty"):
        MLPModel(obs, {"actor": []}, "actor", 2)


@pytest.mark.parametrize("model_class", [MLPModel, RNNModel])
def test_image_group_given_to_1d_model(obs, model_class):
    with pytest.raises(ValueError, match=r"(?s)'depth'.*\[3, 1, 6, 6\].*CNNModel"):
        model_class(obs, GROUPS, "camera", 2)


@pytest.mark.parametrize("model_class", [CNNModel, CNNRNNModel])
def test_cnn_models_without_image_group(obs, model_class):
    with pytest.raises(ValueError, match=r"(?s)image group.*\['policy'\].*MLPModel"):
        model_class(obs, GROUPS, "actor", 2, cnn_cfg=CNN_CFG)


@pytest.mark.parametrize("model_class", [CNNModel, CNNRNNModel])
def test_cnn_models_with_group_of_wrong_rank(obs, model_class):
    with pytest.raises(ValueError, match=r"(?s)'height_scan'.*\[3, 2, 5\]"):
        model_class(obs, {"a": ["depth", "height_scan"]}, "a", 2, cnn_cfg=CNN_CFG)


@pytest.mark.parametrize("model_class", [CNNModel, CNNRNNModel])
def test_cnn_cfg_keyed_by_unknown_or_missing_group(obs, model_class):
    keyed = {"depth": CNN_CFG, "rgb": CNN_CFG}
    with pytest.raises(ValueError, match=r"(?s)\['rgb'\].*\['depth'\]"):
        model_class(obs, GROUPS, "camera", 2, cnn_cfg=keyed)
    with pytest.raises(ValueError, match=r"(?s)\['policy'\].*image groups are \['depth'\]"):
        model_class(obs, GROUPS, "camera", 2, cnn_cfg={"policy": CNN_CFG})
    with pytest.raises(ValueError, match=r"(?s)no entry for \['rgb'\]"):
        model_class(obs, {"a": ["depth", "rgb"]}, "a", 2, cnn_cfg={"depth": CNN_CFG})


def test_cnn_cfg_missing_or_bad(obs):
    with pytest.raises(ValueError, match="needs cnn_cfg"):
        CNNModel(obs, GROUPS, "camera", 2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        CNNModel(obs, GROUPS, "camera", 2, cnn_cfg={"output_channels": [4], "kernel_size": 3, "kernels": 2})


def test_shared_cnns_must_match_image_groups(obs):
    other = {"rgb": CNN((6, 6), 1, [4], 3)}
    with pytest.raises(ValueError, match=r"(?s)\['rgb'\].*\['depth'\]"):
        CNNModel(obs, GROUPS, "camera", 2, cnns=other)


def test_cnn_encoder_must_flatten(obs):
    with pytest.raises(ValueError, match=r"(?s)'depth'.*flatten"):
        CNNModel(obs, GROUPS, "camera", 2, cnn_cfg={**CNN_CFG, "flatten": False})


def test_distribution_queries_on_deterministic_model(obs):
    model = MLPModel(obs, GROUPS, "actor", 2, hidden_dims=[4])
    with pytest.raises(ValueError, match="distribution_cfg=None"):
        model.get_output_log_prob(torch.zeros(N, 2))
    with pytest.raises(ValueError, match="distribution_cfg=None"):
        _ = model.output_std


def test_export_helpers_refuse_modules_without_export_methods(tmp_path):
    with pytest.raises(TypeError, match="as_jit"):
        export_to_jit(torch.nn.Linear(2, 2), tmp_path / "p.pt")
    with pytest.raises(TypeError, match="as_onnx"):
        export_to_onnx(torch.nn.Linear(2, 2), tmp_path / "p.onnx")


def test_scripted_camera_policy_needs_its_images(obs):
    model = CNNModel(obs, GROUPS, "camera", 2, hidden_dims=[4], cnn_cfg=CNN_CFG)
    policy = torch.jit.script(model.as_jit())
    with pytest.raises(Exception, match="one image tensor"):
        policy(obs["policy"])
