"""Behaviour of MLPModel, RNNModel, CNNModel and CNNRNNModel (CPU, small shapes)."""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict
from torch.distributions import Normal, kl_divergence

from rsl_sim.models import CNNModel, CNNRNNModel, MLPModel, RNNModel
from rsl_sim.utils import resolve_class, split_and_pad_trajectories

NUM_ENVS = 5
NUM_ACTIONS = 3
OBS_GROUPS = {
    "actor": ["policy", "extra"],
    "critic": ["policy", "extra", "privileged"],
    "camera": ["policy", "depth", "rgb"],
    "camera_only": ["depth"],
}
GAUSSIAN = {"class_name": "GaussianDistribution", "init_std": 0.7}
CNN_CFG = {"output_channels": [4, 6], "kernel_size": 3, "stride": [1, 2]}


def make_obs(batch: tuple[int, ...] = (NUM_ENVS,), generator: torch.Generator | None = None) -> TensorDict:
    """Random observations with two 1D groups, one privileged group and two image groups."""
    shapes = {"policy": (4,), "extra": (3,), "privileged": (2,), "depth": (1, 8, 8), "rgb": (3, 6, 6)}
    data = {name: torch.randn(*batch, *shape, generator=generator) for name, shape in shapes.items()}
    return TensorDict(data, batch_size=list(batch))


def build(kind: str, obs: TensorDict | None = None, **kwargs) -> MLPModel:
    """Build a small model of the given kind ("mlp", "gru", "lstm", "cnn", "cnn_gru", "cnn_lstm")."""
    obs = make_obs() if obs is None else obs
    kwargs.setdefault("hidden_dims", [16, 16])
    if kind == "mlp":
        return MLPModel(obs, OBS_GROUPS, "actor", NUM_ACTIONS, **kwargs)
    if kind in ("gru", "lstm"):
        return RNNModel(obs, OBS_GROUPS, "actor", NUM_ACTIONS, rnn_type=kind, rnn_hidden_dim=8, **kwargs)
    if kind == "cnn":
        return CNNModel(obs, OBS_GROUPS, "camera", NUM_ACTIONS, cnn_cfg=CNN_CFG, **kwargs)
    rnn_type = kind.split("_")[1]
    return CNNRNNModel(
        obs, OBS_GROUPS, "camera", NUM_ACTIONS, cnn_cfg=CNN_CFG, rnn_type=rnn_type, rnn_hidden_dim=8, **kwargs
    )


ALL_KINDS = ["mlp", "gru", "lstm", "cnn", "cnn_gru", "cnn_lstm"]
RECURRENT_KINDS = ["gru", "lstm", "cnn_gru", "cnn_lstm"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_forward_shapes_and_recurrence_flag(kind):
    torch.manual_seed(0)
    model = build(kind, distribution_cfg=GAUSSIAN)
    obs = make_obs()
    assert model.is_recurrent == (kind in RECURRENT_KINDS)
    assert model(obs).shape == (NUM_ENVS, NUM_ACTIONS)
    assert model(obs, stochastic_output=True).shape == (NUM_ENVS, NUM_ACTIONS)
    assert model.output_mean.shape == model.output_std.shape == (NUM_ENVS, NUM_ACTIONS)
    assert model.output_entropy.shape == (NUM_ENVS,)
    if not model.is_recurrent:
        assert model.get_hidden_state() is None


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_deterministic_output_is_the_mean_and_samples_follow_the_gaussian(kind):
    torch.manual_seed(1)
    model = build(kind, distribution_cfg=GAUSSIAN)
    # The same observation repeated: samples must scatter around the deterministic output with std init_std
    one = make_obs((1,))
    obs = TensorDict({k: v.expand(4000, *v.shape[1:]) for k, v in one.items()}, batch_size=[4000])
    # Recurrent models start every call from the same (zero) state
    model.reset()
    deterministic = model(obs)
    model.reset()
    samples = model(obs, stochastic_output=True)
    torch.testing.assert_close(model.output_mean, deterministic)
    torch.testing.assert_close(model.output_std, torch.full_like(deterministic, 0.7))
    torch.testing.assert_close(samples.mean(0), deterministic[0], atol=0.05, rtol=0)
    torch.testing.assert_close(samples.std(0), torch.full((NUM_ACTIONS,), 0.7), atol=0.05, rtol=0)
    # Deterministic calls are repeatable, stochastic ones are not
    model.reset()
    assert torch.equal(model(obs), deterministic)
    model.reset()
    assert not torch.equal(model(obs, stochastic_output=True), samples)


def test_log_prob_entropy_and_kl_equal_torch_normal():
    torch.manual_seed(2)
    model = build("mlp", distribution_cfg=GAUSSIAN)
    obs = make_obs()
    actions = model(obs, stochastic_output=True)
    mean, std = model.output_distribution_params
    reference = Normal(model(obs), torch.full_like(mean, 0.7))
    torch.testing.assert_close(model.get_output_log_prob(actions), reference.log_prob(actions).sum(-1))
    torch.testing.assert_close(model.output_entropy, reference.entropy().sum(-1))
    # KL between two parameter tuples
    new_params = (mean + 0.3, std * 1.5)
    expected_kl = kl_divergence(Normal(mean, std), Normal(*new_params)).sum(-1)
    torch.testing.assert_close(model.get_kl_divergence((mean, std), new_params), expected_kl)


def test_log_prob_with_heteroscedastic_distribution():
    torch.manual_seed(3)
    cfg = {"class_name": "HeteroscedasticGaussianDistribution", "init_std": 0.5}
    model = build("mlp", distribution_cfg=cfg)
    obs = make_obs()
    raw = model.mlp(torch.cat([obs["policy"], obs["extra"]], dim=-1))
    assert raw.shape == (NUM_ENVS, 2, NUM_ACTIONS)
    torch.testing.assert_close(model(obs), raw[..., 0, :])
    actions = model(obs, stochastic_output=True)
    mean, std = model.output_distribution_params
    torch.testing.assert_close(model.get_output_log_prob(actions), Normal(mean, std).log_prob(actions).sum(-1))


def test_deterministic_model_without_distribution():
    torch.manual_seed(4)
    model = build("mlp")
    obs = make_obs()
    expected = model.mlp(torch.cat([obs["policy"], obs["extra"]], dim=-1))
    torch.testing.assert_close(model(obs), expected)
    torch.testing.assert_close(model(obs, stochastic_output=True), expected)
    assert model.distribution is None


def test_groups_are_concatenated_in_listed_order():
    torch.manual_seed(5)
    obs = make_obs()
    model = MLPModel(obs, {"a": ["extra", "policy"]}, "a", 2, hidden_dims=[8])
    expected = model.mlp(torch.cat([obs["extra"], obs["policy"]], dim=-1))
    torch.testing.assert_close(model(obs), expected)
    assert model.obs_groups == ["extra", "policy"] and model.obs_dim == 7


@pytest.mark.parametrize("kind", ["mlp", "gru", "cnn", "cnn_lstm"])
def test_normalization_is_applied_and_updated_only_in_training(kind):
    torch.manual_seed(6)
    model = build(kind, obs_normalization=True)
    normalizer = model.obs_normalizer
    obs = make_obs()
    before = model.get_latent(obs) if not model.is_recurrent else None

    # Training mode: statistics move to those of the batch; eps as in the normalizer
    batch = make_obs((64,))
    batch_1d = torch.cat([batch[group] for group in model.obs_groups], dim=-1) * 3.0 + 2.0
    batch = batch.update({group: batch[group] * 3.0 + 2.0 for group in model.obs_groups})
    model.train()
    model.update_normalization(batch)
    torch.testing.assert_close(normalizer.mean, batch_1d.mean(0))
    torch.testing.assert_close(normalizer.std, batch_1d.std(0, unbiased=False))

    # The model input is normalized with these statistics
    raw = torch.cat([obs[group] for group in model.obs_groups], dim=-1)
    expected = (raw - normalizer.mean) / (normalizer.std + normalizer.eps)
    latent_1d = MLPModel.get_latent(model, obs)
    torch.testing.assert_close(latent_1d, expected)
    if before is not None:
        assert not torch.allclose(model.get_latent(obs), before)

    # Evaluation mode: no update
    model.eval()
    mean = normalizer.mean.clone()
    model.update_normalization(make_obs((32,)))
    torch.testing.assert_close(normalizer.mean, mean)


def test_update_normalization_is_a_noop_without_normalization():
    model = build("mlp")
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.update_normalization(make_obs((16,)))
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key])


def _rollout(model, obs_seq, dones, warmup_obs):
    """Run the model step by step with resets, saving the hidden state before each step (as the storage does)."""
    model.reset()
    model(warmup_obs)  # start from a nonzero hidden state
    outputs, saved = [], []
    for t in range(obs_seq.shape[0]):
        state = model.get_hidden_state()
        saved.append(tuple(h.clone() for h in state) if isinstance(state, tuple) else (state.clone(),))
        outputs.append(model(obs_seq[t]))
        model.reset(dones[t])
    return torch.stack(outputs), saved


def _trajectory_start_states(saved, dones):
    """Hidden state at the first step of each padded trajectory, [num_layers, num_trajectories, hidden]."""
    starts = torch.zeros_like(dones, dtype=torch.bool)
    starts[0] = True
    starts[1:] = dones[:-1] > 0
    states = []
    for part in range(len(saved[0])):
        per_step = torch.stack([s[part] for s in saved])  # [time, layers, envs, hidden]
        states.append(per_step.permute(2, 0, 1, 3)[starts.T].transpose(0, 1).contiguous())
    return tuple(states) if len(states) == 2 else states[0]


@pytest.mark.parametrize("kind", RECURRENT_KINDS)
def test_rollout_mode_with_resets_equals_batch_mode_over_padded_trajectories(kind):
    torch.manual_seed(7)
    model = build(kind, distribution_cfg=GAUSSIAN, obs_normalization=True).eval()
    steps = 7
    obs_seq = make_obs((steps, NUM_ENVS))
    dones = torch.zeros(steps, NUM_ENVS)
    dones[1, 0] = dones[4, 0] = dones[2, 3] = dones[5, 1] = 1.0
    with torch.no_grad():
        rollout, saved = _rollout(model, obs_seq, dones, make_obs())
        padded, masks = split_and_pad_trajectories(obs_seq, dones)
        hidden = _trajectory_start_states(saved, dones)
        batch = model(padded, masks=masks, hidden_state=hidden)
    assert batch.shape == (steps, NUM_ENVS, NUM_ACTIONS)
    torch.testing.assert_close(batch, rollout, atol=1e-6, rtol=1e-5)
    # Batch mode does not touch the stored rollout state
    state = model.get_hidden_state()
    model(padded, masks=masks, hidden_state=hidden)
    for before, after in zip(state if isinstance(state, tuple) else (state,), _as_tuple(model.get_hidden_state())):
        assert torch.equal(before, after)


def _as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


@pytest.mark.parametrize("kind", RECURRENT_KINDS)
def test_reset_only_touches_done_envs_and_detach_cuts_the_graph(kind):
    torch.manual_seed(8)
    model = build(kind)
    model.reset()
    assert model.get_hidden_state() is None
    model(make_obs())
    before = [h.clone() for h in _as_tuple(model.get_hidden_state())]
    assert all(h.abs().sum() > 0 for h in before)
    dones = torch.tensor([1, 0, 0, 1, 0])
    model.reset(dones)
    for old, new in zip(before, _as_tuple(model.get_hidden_state())):
        assert torch.all(new[:, dones == 1] == 0)
        assert torch.equal(new[:, dones == 0], old[:, dones == 0])
    # The state carries gradients from the forward pass until it is detached
    assert all(h.requires_grad for h in _as_tuple(model.get_hidden_state()))
    model.detach_hidden_state()
    assert not any(h.requires_grad for h in _as_tuple(model.get_hidden_state()))
    model.reset()
    assert model.get_hidden_state() is None


def test_recurrent_output_depends_on_history():
    torch.manual_seed(9)
    model = build("cnn_gru")
    first, second = make_obs(), make_obs()
    model.reset()
    out_fresh = model(second)
    model.reset()
    model(first)
    out_after = model(second)
    assert not torch.allclose(out_fresh, out_after)


def test_cnn_model_latent_is_1d_then_image_encodings():
    torch.manual_seed(10)
    model = build("cnn", obs_normalization=True)
    obs = make_obs()
    assert model.obs_groups == ["policy"] and model.obs_groups_2d == ["depth", "rgb"]
    expected = torch.cat(
        [model.obs_normalizer(obs["policy"]), model.cnns["depth"](obs["depth"]), model.cnns["rgb"](obs["rgb"])], dim=-1
    )
    torch.testing.assert_close(model.get_latent(obs), expected)
    assert model.mlp[0].in_features == 4 + model.cnn_latent_dim


def test_integer_images_are_scaled_to_unit_range():
    torch.manual_seed(11)
    model = build("cnn")
    obs = make_obs()
    as_uint8 = obs.clone()
    as_uint8["rgb"] = (obs["rgb"].clamp(0, 1) * 255).round().to(torch.uint8)
    reference = obs.clone()
    reference["rgb"] = as_uint8["rgb"].float() / 255.0
    torch.testing.assert_close(model(as_uint8), model(reference))


def test_cnn_cfg_per_group_and_image_only_model():
    obs = make_obs()
    cfg = {"depth": {"output_channels": [2], "kernel_size": 3}, "rgb": {"output_channels": [5], "kernel_size": 5}}
    model = CNNModel(obs, OBS_GROUPS, "camera", 2, hidden_dims=[8], cnn_cfg=cfg)
    assert model.cnns["depth"].output_dim == 2 * 6 * 6 and model.cnns["rgb"].output_dim == 5 * 2 * 2
    image_only = CNNModel(obs, OBS_GROUPS, "camera_only", 2, hidden_dims=[8], cnn_cfg=CNN_CFG)
    assert image_only.obs_groups == [] and image_only(obs).shape == (NUM_ENVS, 2)


def test_shared_cnn_encoders_are_the_same_modules():
    obs = make_obs()
    actor = build("cnn", distribution_cfg=GAUSSIAN)
    critic = CNNModel(obs, {"critic": ["rgb", "depth"]}, "critic", 1, hidden_dims=[8], cnns=actor.cnns)
    assert critic.cnns["depth"] is actor.cnns["depth"]
    critic_ids = {id(p) for p in critic.parameters()}
    assert all(id(p) in critic_ids for p in actor.cnns.parameters())
    assert critic(obs).shape == (NUM_ENVS, 1)


def test_feedforward_models_unpad_trajectories_in_recurrent_updates():
    # A CNN critic next to a recurrent actor receives padded trajectories (images [time, trajectories, C, H, W])
    torch.manual_seed(11)
    model = build("cnn").eval()
    steps = 4
    obs_seq = make_obs((steps, NUM_ENVS))
    dones = torch.zeros(steps, NUM_ENVS)
    dones[1, 2] = 1.0
    padded, masks = split_and_pad_trajectories(obs_seq, dones)
    with torch.no_grad():
        batch = model(padded, masks=masks)
        per_step = torch.stack([model(obs_seq[t]) for t in range(steps)])
    torch.testing.assert_close(batch, per_step)


CHECKPOINT_KEYS = {
    "mlp": [
        "obs_normalizer._mean", "obs_normalizer._var", "obs_normalizer._std", "obs_normalizer.count",
        "distribution.std_param", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight",
        "mlp.4.bias",
    ],
    "lstm": ["distribution.std_param", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight",
             "mlp.4.bias", "rnn.rnn.weight_ih_l0", "rnn.rnn.weight_hh_l0", "rnn.rnn.bias_ih_l0", "rnn.rnn.bias_hh_l0"],
    "cnn": ["distribution.std_param", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight",
            "mlp.4.bias", "cnns.depth.0.weight", "cnns.depth.0.bias", "cnns.depth.2.weight", "cnns.depth.2.bias",
            "cnns.rgb.0.weight", "cnns.rgb.0.bias", "cnns.rgb.2.weight", "cnns.rgb.2.bias"],
}  # fmt: skip


@pytest.mark.parametrize("kind", ["mlp", "lstm", "cnn"])
def test_state_dict_keys_and_parameter_order_match_rsl_rl_5(kind):
    # Key names and parameter order of RSL-RL 5.x models, so that model and optimizer states load
    model = build(kind, distribution_cfg=GAUSSIAN, obs_normalization=(kind == "mlp"))
    params = [name for name, _ in model.named_parameters()]
    assert params == [key for key in CHECKPOINT_KEYS[kind] if "obs_normalizer" not in key]
    assert list(model.state_dict()) == CHECKPOINT_KEYS[kind]


def test_state_dict_round_trip_restores_outputs():
    torch.manual_seed(12)
    source = build("cnn_lstm", distribution_cfg=GAUSSIAN, obs_normalization=True)
    source.update_normalization(make_obs((32,)))
    target = build("cnn_lstm", distribution_cfg=GAUSSIAN, obs_normalization=True)
    target.load_state_dict(source.state_dict())
    obs = make_obs()
    torch.testing.assert_close(target(obs), source(obs))


class ScaledMLPModel(MLPModel):
    """A user model: an MLPModel whose output is scaled by a config value."""

    def __init__(self, obs, obs_groups, obs_set, output_dim, scale: float = 1.0, **kwargs):
        super().__init__(obs, obs_groups, obs_set, output_dim, **kwargs)
        self.scale = scale

    def forward(self, obs, masks=None, hidden_state=None, stochastic_output=False):
        return self.scale * super().forward(obs, masks, hidden_state, stochastic_output)


def test_user_model_plugs_in_by_class_name():
    cfg = {"class_name": f"{__name__}:ScaledMLPModel", "scale": 2.0, "hidden_dims": [8]}
    model_class, model_cfg = resolve_class(cfg)
    assert model_class is ScaledMLPModel and "class_name" in cfg
    obs = make_obs()
    torch.manual_seed(13)
    model = model_class(obs, OBS_GROUPS, "actor", NUM_ACTIONS, **model_cfg)
    torch.manual_seed(13)
    plain = MLPModel(obs, OBS_GROUPS, "actor", NUM_ACTIONS, hidden_dims=[8])
    torch.testing.assert_close(model(obs), 2.0 * plain(obs))
