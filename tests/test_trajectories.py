"""Tests for rsl_sim.utils.trajectories: splitting rollouts at dones, padding, and the inverse."""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict

from rsl_sim.utils import split_and_pad_trajectories, unpad_trajectories


def _docstring_example() -> tuple[torch.Tensor, torch.Tensor]:
    """Env 0: a1..a4 | a5 a6 ; env 1: b1 b2 | b3 b4 b5 | b6 (values a_i = i, b_i = 10 + i), shape [T=6, N=2, 1]."""
    data = torch.stack([torch.arange(1.0, 7.0), torch.arange(11.0, 17.0)], dim=1).unsqueeze(-1)
    dones = torch.zeros(6, 2, dtype=torch.bool)
    dones[3, 0] = True
    dones[1, 1] = True
    dones[4, 1] = True
    return data, dones


def test_hand_computed_example():
    data, dones = _docstring_example()
    padded, masks = split_and_pad_trajectories(data, dones)
    expected_columns = [[1, 2, 3, 4, 0, 0], [5, 6, 0, 0, 0, 0], [11, 12, 0, 0, 0, 0], [13, 14, 15, 0, 0, 0], [16, 0, 0]]
    expected = torch.zeros(6, 5)
    for j, column in enumerate(expected_columns):
        expected[: len(column), j] = torch.tensor(column, dtype=torch.float32)
    assert padded.shape == (6, 5, 1)
    torch.testing.assert_close(padded[..., 0], expected, rtol=0, atol=0)
    lengths = torch.tensor([4, 2, 2, 3, 1])
    assert masks.dtype == torch.bool
    assert torch.equal(masks, torch.arange(6).unsqueeze(1) < lengths)


def test_round_trip_random_tensor_and_dones_layouts():
    generator = torch.Generator().manual_seed(0)
    for trial in range(20):
        steps, envs = torch.randint(1, 10, (2,), generator=generator).tolist()
        data = torch.randn(steps, envs, 3, 2, generator=generator)
        dones = torch.rand(steps, envs, 1, generator=generator) < 0.3
        for layout in (dones, dones[..., 0], dones.to(torch.uint8), dones.long()):
            padded, masks = split_and_pad_trajectories(data, layout)
            # Every trajectory is non-empty, padding is zero, and unpadding restores the rollout exactly
            assert masks[0].all(), trial
            assert torch.count_nonzero(padded[~masks]) == 0
            assert int(masks.sum()) == steps * envs
            assert torch.equal(unpad_trajectories(padded, masks), data)
        # Number of trajectories: one per env plus one per done that is not on the last step
        assert padded.shape[1] == envs + int(dones[:-1].sum())


def test_no_dones_and_all_dones():
    data = torch.randn(4, 3, 2)
    padded, masks = split_and_pad_trajectories(data, torch.zeros(4, 3))
    assert torch.equal(padded, data) and masks.all()
    padded, masks = split_and_pad_trajectories(data, torch.ones(4, 3))
    # Every step is a trajectory of length 1, env-major order
    assert padded.shape == (4, 12, 2)
    assert torch.equal(padded[0], data.transpose(0, 1).reshape(12, 2))
    assert masks[0].all() and not masks[1:].any()


def test_tensordict_keeps_dtypes_and_matches_tensor_version():
    generator = torch.Generator().manual_seed(1)
    steps, envs = 7, 4
    state = torch.randn(steps, envs, 5, generator=generator)
    image = torch.randint(0, 256, (steps, envs, 1, 3, 3), dtype=torch.uint8, generator=generator)
    nested = torch.randn(steps, envs, 2, generator=generator)
    obs = TensorDict(
        {"policy": state, "camera": image, "extra": TensorDict({"x": nested}, batch_size=[steps, envs])},
        batch_size=[steps, envs],
    )
    dones = torch.rand(steps, envs, generator=generator) < 0.25
    padded, masks = split_and_pad_trajectories(obs, dones)
    ref_state, ref_masks = split_and_pad_trajectories(state, dones)
    ref_image, _ = split_and_pad_trajectories(image, dones)
    assert padded.batch_size == ref_masks.shape
    assert torch.equal(masks, ref_masks)
    assert torch.equal(padded["policy"], ref_state)
    assert padded["camera"].dtype == torch.uint8 and torch.equal(padded["camera"], ref_image)
    assert torch.equal(padded["extra", "x"], split_and_pad_trajectories(nested, dones)[0])
    restored = unpad_trajectories(padded, masks)
    assert restored.batch_size == torch.Size([steps, envs])
    assert restored["camera"].dtype == torch.uint8
    assert (restored == obs).all()


def test_unpad_env_slice():
    # Trajectories of a contiguous slice of envs unpad to that slice (as in recurrent mini-batches)
    data, dones = _docstring_example()
    padded, masks = split_and_pad_trajectories(data, dones)
    # Env 1 owns trajectories 2..4
    assert torch.equal(unpad_trajectories(padded[:, 2:], masks[:, 2:]), data[:, 1:])
    assert torch.equal(unpad_trajectories(padded[:, :2], masks[:, :2]), data[:, :1])


def test_errors():
    data = torch.randn(5, 3, 2)
    with pytest.raises(ValueError, match="dones"):
        split_and_pad_trajectories(data, torch.zeros(5, 4))
    padded, masks = split_and_pad_trajectories(data, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="masks"):
        unpad_trajectories(padded, masks[:, :2])
    # Part of one env's trajectories cannot be regrouped into whole envs
    data, dones = _docstring_example()
    padded, masks = split_and_pad_trajectories(data, dones)
    with pytest.raises(ValueError, match="valid steps"):
        unpad_trajectories(padded[:, 1:3], masks[:, 1:3])
