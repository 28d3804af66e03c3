"""TorchScript and ONNX export: exported policies reproduce the eager deterministic output (within 1e-5)."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from tensordict import TensorDict

from rsl_sim.models import CNNModel, CNNRNNModel, MLPModel, RNNModel
from rsl_sim.models.export import export_to_jit, export_to_onnx

# TorchScript is deprecated in torch >= 2.10 but still the format deployments load
pytestmark = pytest.mark.filterwarnings(r"ignore:.*torch\.jit\..*deprecated:DeprecationWarning")

ATOL = 1e-5
NUM_ACTIONS = 3
GROUPS = {"actor": ["policy", "extra"], "camera": ["policy", "depth", "rgb"], "camera_only": ["depth"]}
GAUSSIAN = {"class_name": "GaussianDistribution", "init_std": 0.5}
CNN_CFG = {"output_channels": [4, 4], "kernel_size": 3, "stride": [1, 2]}


def make_obs(batch: int, seed: int) -> TensorDict:
    """Observations of ``batch`` robots: 1D groups and two camera groups, scaled away from the unit range."""
    generator = torch.Generator().manual_seed(seed)
    shapes = {"policy": (4,), "extra": (3,), "depth": (1, 8, 8), "rgb": (3, 6, 6)}
    data = {k: 2.0 * torch.randn(batch, *s, generator=generator) + 1.0 for k, s in shapes.items()}
    return TensorDict(data, batch_size=[batch])


def trained_like(model: MLPModel) -> MLPModel:
    """Give the normalizer non-trivial statistics, then switch to evaluation mode."""
    if model.obs_normalization:
        model.train()
        model.update_normalization(make_obs(256, seed=99))
        assert not torch.allclose(model.obs_normalizer.mean, torch.zeros(model.obs_dim))
    return model.eval()


def jit_args(model: MLPModel, obs: TensorDict) -> tuple:
    """Arguments of the scripted policy: concatenated 1D observations (and the image list)."""
    obs_1d = torch.cat([obs[g] for g in model.obs_groups], dim=-1) if model.obs_groups else obs["depth"][:, :0, 0, 0]
    if isinstance(model, CNNModel):
        return obs_1d, [obs[g] for g in model.obs_groups_2d]
    return (obs_1d,)


def onnx_feeds(model: MLPModel, obs: TensorDict) -> dict[str, np.ndarray]:
    """Named ONNX inputs of the observation part."""
    feeds = {}
    if model.obs_groups:
        feeds["obs"] = torch.cat([obs[g] for g in model.obs_groups], dim=-1).numpy()
    for group in getattr(model, "obs_groups_2d", []):
        feeds[group] = obs[group].numpy()
    return feeds


def export_both(model: MLPModel, tmp_path) -> tuple[torch.jit.ScriptModule, ort.InferenceSession]:
    """Export to both formats and load the files back."""
    jit_path = export_to_jit(model, tmp_path / "exported" / "policy.pt")
    onnx_path = export_to_onnx(model, tmp_path / "exported" / "policy.onnx")
    onnx.checker.check_model(onnx.load(onnx_path))
    return torch.jit.load(jit_path), ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])


FEEDFORWARD_CASES = {
    "mlp_normalized": lambda obs: MLPModel(
        obs, GROUPS, "actor", NUM_ACTIONS, [32, 16], obs_normalization=True, distribution_cfg=GAUSSIAN
    ),
    "mlp_heteroscedastic": lambda obs: MLPModel(
        obs, GROUPS, "actor", NUM_ACTIONS, [16], distribution_cfg={"class_name": "HeteroscedasticGaussianDistribution"}
    ),
    "cnn_normalized": lambda obs: CNNModel(
        obs, GROUPS, "camera", NUM_ACTIONS, [16], obs_normalization=True, distribution_cfg=GAUSSIAN, cnn_cfg=CNN_CFG
    ),
    "cnn_images_only": lambda obs: CNNModel(obs, GROUPS, "camera_only", NUM_ACTIONS, [16], cnn_cfg=CNN_CFG),
}


@pytest.mark.parametrize("case", list(FEEDFORWARD_CASES))
def test_feedforward_export_matches_eager_for_batch_1_and_7(case, tmp_path):
    torch.manual_seed(0)
    model = trained_like(FEEDFORWARD_CASES[case](make_obs(2, seed=0)))
    policy, session = export_both(model, tmp_path)

    # Input and output names, with a symbolic batch dimension
    expected_inputs = (["obs"] if model.obs_groups else []) + list(getattr(model, "obs_groups_2d", []))
    assert [i.name for i in session.get_inputs()] == expected_inputs
    assert [o.name for o in session.get_outputs()] == ["actions"]
    assert all(isinstance(i.shape[0], str) for i in session.get_inputs())

    for batch in (1, 7):
        obs = make_obs(batch, seed=batch)
        with torch.no_grad():
            eager = model(obs)
            scripted = policy(*jit_args(model, obs))
        (actions,) = session.run(None, onnx_feeds(model, obs))
        assert actions.shape == (batch, NUM_ACTIONS)
        torch.testing.assert_close(scripted, eager, atol=ATOL, rtol=0)
        torch.testing.assert_close(torch.from_numpy(actions), eager, atol=ATOL, rtol=0)


RECURRENT_CASES = {
    "gru": lambda obs: RNNModel(
        obs, GROUPS, "actor", NUM_ACTIONS, [16], obs_normalization=True, distribution_cfg=GAUSSIAN, rnn_type="gru",
        rnn_hidden_dim=8,
    ),
    "lstm_2_layers": lambda obs: RNNModel(
        obs, GROUPS, "actor", NUM_ACTIONS, [16], obs_normalization=True, distribution_cfg=GAUSSIAN, rnn_type="lstm",
        rnn_hidden_dim=8, rnn_num_layers=2,
    ),
    "cnn_gru": lambda obs: CNNRNNModel(
        obs, GROUPS, "camera", NUM_ACTIONS, [16], obs_normalization=True, distribution_cfg=GAUSSIAN, cnn_cfg=CNN_CFG,
        rnn_type="gru", rnn_hidden_dim=8,
    ),
    "cnn_lstm": lambda obs: CNNRNNModel(
        obs, GROUPS, "camera", NUM_ACTIONS, [16], distribution_cfg=GAUSSIAN, cnn_cfg=CNN_CFG, rnn_type="lstm",
        rnn_hidden_dim=8,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(RECURRENT_CASES))
def test_recurrent_export_matches_eager_over_several_steps_with_resets(case, tmp_path):
    torch.manual_seed(1)
    model = trained_like(RECURRENT_CASES[case](make_obs(2, seed=0)))
    policy, session = export_both(model, tmp_path)
    is_lstm = model.rnn.rnn.__class__.__name__ == "LSTM"
    state_inputs = ["h_in", "c_in"] if is_lstm else ["h_in"]
    assert [i.name for i in session.get_inputs()][-len(state_inputs) :] == state_inputs
    assert [o.name for o in session.get_outputs()] == ["actions", *[n.replace("_in", "_out") for n in state_inputs]]
    state_shape = session.get_inputs()[-1].shape
    assert state_shape[0] == model.rnn.rnn.num_layers and isinstance(state_shape[1], str)

    for batch in (1, 7):
        # Eager rollout, scripted policy with internal state, ONNX with the state threaded through h_in/h_out
        model.reset()
        policy.reset()
        state = [np.zeros((model.rnn.rnn.num_layers, batch, 8), dtype=np.float32) for _ in state_inputs]
        dones_at = {2: [0], 4: [batch - 1]}
        for step in range(6):
            obs = make_obs(batch, seed=10 * batch + step)
            with torch.no_grad():
                eager = model(obs)
                scripted = policy(*jit_args(model, obs))
            actions, *state = session.run(None, {**onnx_feeds(model, obs), **dict(zip(state_inputs, state))})
            torch.testing.assert_close(scripted, eager, atol=ATOL, rtol=0)
            torch.testing.assert_close(torch.from_numpy(actions), eager, atol=ATOL, rtol=0)
            # Episode ends: reset the done robots in all three
            if step in dones_at:
                dones = torch.zeros(batch)
                dones[dones_at[step]] = 1.0
                model.reset(dones)
                policy.reset(dones)
                for part in state:
                    part[:, dones.numpy() > 0] = 0.0

        # The scripted state equals the eager one and reset() zeros it
        eager_state = model.get_hidden_state()
        eager_state = eager_state if isinstance(eager_state, tuple) else (eager_state,)
        scripted_state = (policy.hidden_state, policy.cell_state) if is_lstm else (policy.hidden_state,)
        for mine, theirs, onnx_part in zip(scripted_state, eager_state, state):
            torch.testing.assert_close(mine, theirs, atol=ATOL, rtol=0)
            torch.testing.assert_close(torch.from_numpy(onnx_part), theirs, atol=ATOL, rtol=0)
        policy.reset()
        assert torch.count_nonzero(policy.hidden_state) == 0
        assert not is_lstm or torch.count_nonzero(policy.cell_state) == 0


def test_export_leaves_the_model_untouched_and_writes_one_file(tmp_path):
    torch.manual_seed(2)
    model = trained_like(RECURRENT_CASES["lstm_2_layers"](make_obs(2, seed=0))).train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model(make_obs(3, seed=1))
    hidden = [h.clone() for h in model.get_hidden_state()]
    export_to_jit(model, tmp_path / "policy.pt")
    export_to_onnx(model, tmp_path / "policy.onnx", verify=True)
    assert model.training
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert all(torch.equal(a, b) for a, b in zip(model.get_hidden_state(), hidden))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.onnx", "policy.pt"]


def test_torchscript_based_exporter_gives_the_same_dynamic_file(tmp_path):
    torch.manual_seed(3)
    model = trained_like(RECURRENT_CASES["gru"](make_obs(2, seed=0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = export_to_onnx(model, tmp_path / "legacy.onnx", dynamo=False)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (1, 7):
        obs = make_obs(batch, seed=batch)
        model.reset()
        with torch.no_grad():
            eager = model(obs)
        h_in = np.zeros((1, batch, 8), dtype=np.float32)
        actions, h_out = session.run(None, {"obs": onnx_feeds(model, obs)["obs"], "h_in": h_in})
        torch.testing.assert_close(torch.from_numpy(actions), eager, atol=ATOL, rtol=0)
        torch.testing.assert_close(torch.from_numpy(h_out), model.get_hidden_state(), atol=ATOL, rtol=0)


def test_scripted_recurrent_policy_restarts_from_zeros_for_a_new_batch_size(tmp_path):
    torch.manual_seed(4)
    model = trained_like(RECURRENT_CASES["gru"](make_obs(2, seed=0)))
    policy = torch.jit.load(export_to_jit(model, tmp_path / "policy.pt"))
    policy(jit_args(model, make_obs(4, seed=1))[0])
    obs = make_obs(2, seed=2)
    model.reset()
    with torch.no_grad():
        torch.testing.assert_close(policy(jit_args(model, obs)[0]), model(obs), atol=ATOL, rtol=0)
    assert policy.hidden_state.shape == (1, 2, 8)


class _FixedBatchWrapper(torch.nn.Module):
    """An ONNX wrapper in the RSL-RL 5.x style: names and example inputs, no dynamic batch declared."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.linear = linear
        self.input_names = ["obs"]
        self.output_names = ["actions"]

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(obs))

    def get_dummy_inputs(self) -> tuple[torch.Tensor]:
        return (torch.zeros(1, 4),)


class _UserModel(torch.nn.Module):
    """A user model that brings its own ONNX wrapper."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)

    def as_onnx(self, verbose: bool = False) -> torch.nn.Module:
        return _FixedBatchWrapper(self.linear)


def test_user_wrapper_without_dynamic_batch_exports_with_fixed_shapes(tmp_path):
    torch.manual_seed(5)
    model = _UserModel()
    path = export_to_onnx(model, tmp_path / "user.onnx", verify=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == [1, 4]
    obs = torch.randn(1, 4)
    (actions,) = session.run(None, {"obs": obs.numpy()})
    torch.testing.assert_close(torch.from_numpy(actions), torch.tanh(model.linear(obs)).detach(), atol=ATOL, rtol=0)
