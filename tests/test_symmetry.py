from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.extensions import (
    AxialVector,
    GridTerm,
    ImageAxes,
    Invariant,
    JointTerm,
    MirrorFunction,
    MirrorLayout,
    PerFootTerm,
    PolarVector,
    Symmetry,
    VelocityCommand,
    mirror_names,
    resolve_symmetry_config,
)

LEGS = ["FL", "FR", "RL", "RR"]
JOINTS = [f"{leg}_{part}_joint" for part in ("hip", "thigh", "calf") for leg in LEGS]
FEET = [f"{leg}_foot" for leg in LEGS]
LAYOUT = MirrorLayout(
    joint_names=JOINTS,
    foot_names=FEET,
    negated_joints={"left_right": [".*_hip_joint"], "front_back": [".*_thigh_joint", ".*_calf_joint"]},
)
POLICY_TERMS = [
    PolarVector("base_lin_vel"),
    AxialVector("base_ang_vel"),
    PolarVector("projected_gravity"),
    VelocityCommand("velocity_commands"),
    JointTerm("joint_pos"),
    JointTerm("joint_vel"),
    JointTerm("actions"),
]
CRITIC_TERMS = [
    *POLICY_TERMS,
    GridTerm("height_scan"),
    PerFootTerm("contact_forces", per_foot=PolarVector("f")),
    Invariant("friction", 1),
]


ROLLOUT_FIELDS = dict.fromkeys(("old_actions_log_prob", "values", "advantages", "returns"))
"""Rollout tensors of a mini-batch that the symmetry tests leave out (None)."""


def _mirror(copies=("left_right",)):
    return MirrorFunction(
        LAYOUT,
        obs_terms={"policy": POLICY_TERMS, "critic": CRITIC_TERMS},
        # A forward camera only has a left-right mirror
        image_terms={"depth": ImageAxes(("z", "y"))} if tuple(copies) == ("left_right",) else {},
        copies=copies,
    )


def _obs(batch=5, with_depth=True):
    groups = {"policy": torch.randn(batch, 48), "critic": torch.randn(batch, 48 + 187 + 12 + 1)}
    if with_depth:
        groups["depth"] = torch.rand(batch, 1, 8, 6)
    return TensorDict(groups, batch_size=[batch])


def test_mirror_names_pairs_legs():
    assert mirror_names(JOINTS, [("FL", "FR"), ("RL", "RR")]) == [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10]
    assert mirror_names(["FL_foot", "FR_foot", "RL_foot", "RR_foot"], [("FL", "RL"), ("FR", "RR")]) == [2, 3, 0, 1]
    with pytest.raises(ValueError, match="FR_hip_joint"):
        mirror_names(["FL_hip_joint"], [("FL", "FR")])


def test_left_right_mirror_of_known_values():
    mirror = _mirror()
    obs = _obs(batch=1, with_depth=True)
    mirrored = mirror.mirror_observations(obs)[0]
    p, m = obs["policy"][0], mirrored["policy"][0]
    torch.testing.assert_close(m[0:3], p[0:3] * torch.tensor([1.0, -1.0, 1.0]))  # lin vel: y flips
    torch.testing.assert_close(m[3:6], p[3:6] * torch.tensor([-1.0, 1.0, -1.0]))  # ang vel: roll, yaw flip
    torch.testing.assert_close(m[9:12], p[9:12] * torch.tensor([1.0, -1.0, -1.0]))  # command vy, wz flip
    # joint_pos: FL_hip <-> FR_hip negated; FL_thigh <-> FR_thigh kept
    q, mq = p[12:24], m[12:24]
    assert mq[0] == -q[1] and mq[1] == -q[0] and mq[4] == q[5] and mq[10] == q[11]
    # height scan: rows (y) flip, columns (x) keep
    scan, mscan = obs["critic"][0, 48:235].reshape(11, 17), mirrored["critic"][0, 48:235].reshape(11, 17)
    torch.testing.assert_close(mscan, scan.flip(0))
    # contact forces: FL <-> FR with y negated
    forces, mforces = obs["critic"][0, 235:247].reshape(4, 3), mirrored["critic"][0, 235:247].reshape(4, 3)
    torch.testing.assert_close(mforces[0], forces[1] * torch.tensor([1.0, -1.0, 1.0]))
    assert mirrored["critic"][0, -1] == obs["critic"][0, -1]
    # depth image: columns flip
    torch.testing.assert_close(mirrored["depth"], obs["depth"].flip(3))


@pytest.mark.parametrize("copies", [("left_right",), ("front_back",), ("both",), ("left_right", "front_back", "both")])
def test_mirror_twice_is_identity(copies):
    mirror = _mirror(copies)
    obs = _obs(with_depth=tuple(copies) == ("left_right",))
    actions = torch.randn(5, 12)
    for copy in range(mirror.num_copies):
        twice = MirrorFunction(
            LAYOUT, {"policy": POLICY_TERMS, "critic": CRITIC_TERMS}, mirror.image_terms, copies=[mirror.copies[copy]]
        )
        once = twice.mirror_observations(obs)[0]
        back = twice.mirror_observations(once)[0]
        for key in obs.keys():
            torch.testing.assert_close(back[key], obs[key])
        torch.testing.assert_close(twice.mirror_actions(twice.mirror_actions(actions)[0])[0], actions)


def test_augmented_shapes_originals_first():
    mirror = _mirror(("left_right",))
    obs, actions = _obs(batch=4), torch.randn(4, 12)
    obs_aug, actions_aug = mirror(None, obs, actions)
    assert obs_aug.batch_size == torch.Size([8]) and actions_aug.shape == (8, 12)
    torch.testing.assert_close(obs_aug[:4]["policy"], obs["policy"])
    torch.testing.assert_close(actions_aug[:4], actions)
    many = MirrorFunction(LAYOUT, {"policy": POLICY_TERMS}, copies=["left_right", "front_back", "both"])
    obs_aug, actions_aug = many(None, obs.select("policy"), actions)
    assert obs_aug.batch_size == torch.Size([16]) and actions_aug.shape == (16, 12)
    assert many(None, None, actions)[0] is None


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="diagonal"):
        MirrorFunction(LAYOUT, {"policy": POLICY_TERMS}, copies=["diagonal"])
    with pytest.raises(ValueError, match="front_back"):
        MirrorFunction(LAYOUT, {"policy": POLICY_TERMS}, image_terms={"depth": ImageAxes(("z", "y"))}, copies=["both"])
    mirror = MirrorFunction(LAYOUT, {"policy": POLICY_TERMS})
    with pytest.raises(ValueError, match="'extra'"):
        mirror.mirror_observations(TensorDict({"policy": torch.zeros(2, 48), "extra": torch.zeros(2, 3)}, [2]))
    with pytest.raises(ValueError, match="47 components"):
        mirror.mirror_observations(TensorDict({"policy": torch.zeros(2, 47)}, [2]))
    with pytest.raises(ValueError, match="nothing_joint"):
        MirrorFunction(MirrorLayout(JOINTS, negated_joints={"left_right": ["nothing_joint"]}), {"policy": POLICY_TERMS})
    with pytest.raises(ValueError, match="Unknown keys"):
        resolve_symmetry_config({"symmetry_cfg": {"data_augmentation_func": mirror, "use_mirorr_loss": True}}, None)


class _LinearActor(torch.nn.Module):
    is_recurrent = False

    def __init__(self, weight):
        super().__init__()
        self.weight = torch.nn.Parameter(weight)

    def forward(self, obs):
        return obs["policy"] @ self.weight.T


def _signed_matrix(perm, sign):
    n = perm.numel()
    matrix = torch.zeros(n, n)
    matrix[torch.arange(n), perm] = sign
    return matrix


def test_mirror_loss_is_zero_for_equivariant_actor_and_positive_otherwise():
    mirror = MirrorFunction(LAYOUT, {"policy": POLICY_TERMS})
    m_obs = _signed_matrix(*mirror._vector_maps["policy"][0])
    m_act = _signed_matrix(*mirror._action_map[0])
    generic = torch.randn(12, 48)
    equivariant = 0.5 * (generic + m_act @ generic @ m_obs)
    obs = TensorDict({"policy": torch.randn(64, 48)}, [64])
    symmetry = Symmetry(None, mirror, use_mirror_loss=True, mirror_loss_coeff=1.0)
    # compute_loss augments batch.observations in place (as RSL-RL 5.x): one fresh batch per call
    batch = SimpleNamespace(observations=obs, actions=torch.randn(64, 12))
    assert symmetry.compute_loss(_LinearActor(equivariant), batch, 64).item() < 1e-10
    batch = SimpleNamespace(observations=obs, actions=torch.randn(64, 12))
    loss = symmetry.compute_loss(_LinearActor(generic), batch, 64)
    assert loss.item() > 1e-2 and loss.requires_grad


@pytest.mark.parametrize("augmented", [True, False], ids=["augmented batch", "mirror loss only"])
def test_mirror_loss_reusing_the_update_mean_equals_a_fresh_forward(augmented):
    mirror = MirrorFunction(LAYOUT, {"policy": POLICY_TERMS})
    actor = _LinearActor(torch.randn(12, 48))
    obs = TensorDict({"policy": torch.randn(64, 48)}, [64])
    actions = torch.randn(64, 12)

    def loss_and_grad(reuse):
        symmetry = Symmetry(None, mirror, use_data_augmentation=augmented, use_mirror_loss=True, mirror_loss_coeff=1.0)
        batch = SimpleNamespace(observations=obs, actions=actions, **ROLLOUT_FIELDS)
        symmetry.augment_batch(batch, 64)
        mean = actor(batch.observations) if reuse else None  # the update's forward pass, before the loss
        actor.zero_grad()
        loss = symmetry.compute_loss(actor, batch, 64, mean_actions=mean)
        loss.backward()
        assert batch.observations.batch_size[0] == 128  # augmented in place either way (RSL-RL 5.x)
        return loss.detach(), actor.weight.grad.clone()

    fresh_loss, fresh_grad = loss_and_grad(reuse=False)
    reused_loss, reused_grad = loss_and_grad(reuse=True)
    assert fresh_loss.item() > 1e-2
    torch.testing.assert_close(reused_loss, fresh_loss)
    torch.testing.assert_close(reused_grad, fresh_grad)


def test_logged_mirror_loss_builds_no_graph_and_checks_mean_rows():
    mirror = MirrorFunction(LAYOUT, {"policy": POLICY_TERMS})
    actor = _LinearActor(torch.randn(12, 48))
    symmetry = Symmetry(None, mirror, use_data_augmentation=True)
    batch = SimpleNamespace(
        observations=TensorDict({"policy": torch.randn(8, 48)}, [8]), actions=torch.randn(8, 12), **ROLLOUT_FIELDS
    )
    symmetry.augment_batch(batch, 8)
    loss = symmetry.compute_loss(actor, batch, 8, mean_actions=actor(batch.observations))
    assert loss.item() > 0.0 and loss.grad_fn is None
    with pytest.raises(ValueError, match="mean_actions has 8 rows for a batch of 16"):
        symmetry.compute_loss(actor, batch, 8, mean_actions=torch.zeros(8, 12))


def test_augment_batch_repeats_rollout_tensors():
    mirror = MirrorFunction(LAYOUT, {"policy": POLICY_TERMS}, copies=["left_right", "front_back"])
    batch = SimpleNamespace(
        observations=TensorDict({"policy": torch.randn(6, 48)}, [6]),
        actions=torch.randn(6, 12),
        old_actions_log_prob=torch.randn(6, 1),
        values=torch.randn(6, 1),
        advantages=torch.randn(6, 1),
        returns=torch.randn(6, 1),
    )
    values = batch.values.clone()
    Symmetry(None, mirror, use_data_augmentation=True).augment_batch(batch, 6)
    assert batch.observations.batch_size == torch.Size([18]) and batch.actions.shape == (18, 12)
    torch.testing.assert_close(batch.values, values.repeat(3, 1))


def test_recurrent_models_are_refused():
    with pytest.raises(ValueError, match="recurrent"):
        Symmetry.check_models(SimpleNamespace(is_recurrent=False), SimpleNamespace(is_recurrent=True))
