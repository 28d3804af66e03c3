from __future__ import annotations

import pytest
import torch

from rsl_sim.modules import EmpiricalDiscountedVariationNormalization, EmpiricalNormalization


def test_converges_to_true_statistics_with_varying_batch_sizes():
    torch.manual_seed(0)
    true_mean = torch.tensor([1.0, -2.0, 30.0])
    true_std = torch.tensor([0.5, 2.0, 10.0])
    norm = EmpiricalNormalization(3)
    for _ in range(300):
        batch = int(torch.randint(1, 1000, ()).item())
        norm.update(true_mean + true_std * torch.randn(batch, 3))
    torch.testing.assert_close(norm.mean, true_mean, atol=0.05, rtol=0.01)
    torch.testing.assert_close(norm.std, true_std, atol=0.02, rtol=0.01)


def test_merged_statistics_equal_full_batch_statistics():
    torch.manual_seed(1)
    data = torch.randn(1000, 4, dtype=torch.float64) * torch.tensor([1.0, 3.0, 0.1, 5.0]) + 2.0
    norm = EmpiricalNormalization(4).double()
    for chunk in torch.split(data, [1, 7, 300, 2, 190, 500]):
        norm.update(chunk)
    assert norm.count.item() == 1000
    torch.testing.assert_close(norm.mean, data.mean(dim=0))
    torch.testing.assert_close(norm._var.squeeze(0), data.var(dim=0, unbiased=False))
    torch.testing.assert_close(norm.std, data.std(dim=0, unbiased=False))


def test_forward_normalizes_without_updating():
    torch.manual_seed(2)
    norm = EmpiricalNormalization(2, eps=0.01)
    norm.update(torch.randn(100, 2) * 3 + 1)
    state = {k: v.clone() for k, v in norm.state_dict().items()}
    x = torch.randn(5, 2)
    expected = (x - norm.mean) / (norm.std + 0.01)
    torch.testing.assert_close(norm(x), expected)
    # forward never changes the statistics, even in training mode
    assert norm.training
    assert all(torch.equal(state[k], v) for k, v in norm.state_dict().items())


def test_forward_equals_the_reference_formula_bit_for_bit_and_leaves_the_input_alone():
    # RSL-RL computes (x - mean) / (std + eps); the in-place division on the difference gives the same bits
    torch.manual_seed(4)
    norm = EmpiricalNormalization(283, eps=0.01)
    norm.update(torch.randn(4096, 283) * 7 + 3)
    x = torch.randn(3072, 283) * 7 + 3
    before = x.clone()
    assert torch.equal(norm(x), (x - norm._mean) / (norm._std + 0.01))
    assert torch.equal(x, before)


def test_forward_is_differentiable_in_its_input():
    norm = EmpiricalNormalization(3, eps=0.01)
    norm.update(torch.tensor([[0.0, 1.0, 2.0], [2.0, 5.0, 2.0]]))
    x = torch.randn(4, 3, requires_grad=True)
    norm(x).sum().backward()
    torch.testing.assert_close(x.grad, (1.0 / (norm.std + 0.01)).expand(4, 3))


@pytest.mark.parametrize("chunk_elements", [1, 7, 2**20])
def test_batch_statistics_in_chunks_equal_float64_statistics(monkeypatch, chunk_elements):
    # Chunks of one row, of two rows with a remainder (7 // 3), and the library's size (one chunk here)
    import rsl_sim.modules.normalization as normalization

    monkeypatch.setattr(normalization, "_MOMENTS_CHUNK_ELEMENTS", chunk_elements)
    torch.manual_seed(5)
    data = torch.randn(1001, 3) * torch.tensor([1.0, 30.0, 0.01]) + torch.tensor([5.0, -100.0, 0.0])
    norm = EmpiricalNormalization(3)
    norm.update(data)
    reference = data.double()
    torch.testing.assert_close(norm.mean, reference.mean(dim=0).float(), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(norm._var.squeeze(0), reference.var(dim=0, unbiased=False).float(), rtol=1e-5, atol=1e-9)


def test_inverse_of_forward_is_identity():
    torch.manual_seed(3)
    norm = EmpiricalNormalization([2, 3])
    norm.update(torch.randn(64, 2, 3) * 4 - 1)
    x = torch.randn(10, 2, 3)
    torch.testing.assert_close(norm.inverse(norm(x)), x, atol=1e-5, rtol=1e-5)


def test_eval_mode_freezes():
    norm = EmpiricalNormalization(2)
    norm.eval()
    norm.update(torch.randn(50, 2) + 5)
    assert norm.count.item() == 0
    torch.testing.assert_close(norm.mean, torch.zeros(2))
    norm.train()
    norm.update(torch.randn(50, 2) + 5)
    assert norm.count.item() == 50


def test_until_stops_updates():
    torch.manual_seed(4)
    norm = EmpiricalNormalization(1, until=100)
    norm.update(torch.randn(60, 1))
    norm.update(torch.randn(60, 1))  # crosses the limit: still merged
    mean_at_limit = norm.mean.clone()
    norm.update(torch.randn(60, 1) + 100)  # beyond the limit: ignored
    assert norm.count.item() == 120
    torch.testing.assert_close(norm.mean, mean_at_limit)


def test_initial_state_is_identity_up_to_eps():
    norm = EmpiricalNormalization(3, eps=0.0)
    x = torch.randn(4, 3)
    torch.testing.assert_close(norm(x), x)


def test_buffers_in_state_dict_and_round_trip():
    torch.manual_seed(5)
    norm = EmpiricalNormalization(3)
    norm.update(torch.randn(20, 3) * 2)
    sd = norm.state_dict()
    assert set(sd) == {"_mean", "_var", "_std", "count"}
    assert sd["_mean"].shape == (1, 3) and sd["count"].dtype == torch.long
    other = EmpiricalNormalization(3)
    other.load_state_dict(sd)
    x = torch.randn(4, 3)
    torch.testing.assert_close(other(x), norm(x))


def test_scalar_shape_and_leading_dimensions():
    torch.manual_seed(6)
    scalar = EmpiricalNormalization([])
    data = torch.randn(500) * 3 + 1
    scalar.update(data)
    torch.testing.assert_close(scalar.mean, data.mean(), rtol=1e-5, atol=1e-5)
    assert scalar(data).shape == (500,)
    seq = EmpiricalNormalization(2)
    data = torch.randn(5, 7, 2)
    seq.update(data)
    assert seq.count.item() == 35
    torch.testing.assert_close(seq.mean, data.reshape(-1, 2).mean(dim=0))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_scriptable_for_export():
    norm = EmpiricalNormalization(3)
    norm.update(torch.randn(10, 3))
    scripted = torch.jit.script(norm)
    x = torch.randn(2, 3)
    torch.testing.assert_close(scripted(x), norm(x))


def test_discounted_variation_normalization_matches_manual_returns():
    torch.manual_seed(7)
    gamma, num_envs, steps = 0.9, 8, 40
    norm = EmpiricalDiscountedVariationNormalization([], gamma=gamma)
    rewards = torch.rand(steps, num_envs) * 2
    returns = []
    running = torch.zeros(num_envs)
    for t in range(steps):
        running = gamma * running + rewards[t]
        returns.append(running.clone())
        out = norm(rewards[t])
    all_returns = torch.stack(returns).reshape(-1)
    expected_std = all_returns.std(unbiased=False)
    torch.testing.assert_close(norm.emp_norm.std, expected_std, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out, rewards[-1] / expected_std, rtol=1e-4, atol=1e-5)


def test_discounted_variation_normalization_eval_and_state_dict():
    norm = EmpiricalDiscountedVariationNormalization(1, gamma=0.99)
    norm(torch.arange(4.0).unsqueeze(1))
    assert norm.emp_norm._std.item() > 0
    count = norm.emp_norm.count.item()
    norm.eval()
    rew = torch.full((4, 1), 3.0)
    out = norm(rew)
    assert norm.emp_norm.count.item() == count
    torch.testing.assert_close(out, rew / norm.emp_norm._std)
    assert set(norm.state_dict()) == {"emp_norm._mean", "emp_norm._var", "emp_norm._std", "emp_norm.count"}


def test_discounted_variation_zero_std_passes_rewards_through():
    norm = EmpiricalDiscountedVariationNormalization([], gamma=0.5)
    rew = torch.zeros(3)
    out = norm(rew)  # all returns zero: the std is zero
    assert torch.equal(norm.emp_norm._std, torch.zeros(1))
    torch.testing.assert_close(out, rew)
    assert torch.isfinite(norm(torch.ones(3))).all()


@pytest.mark.parametrize("until", [None, 10])
def test_discounted_variation_until(until):
    norm = EmpiricalDiscountedVariationNormalization([], until=until)
    for _ in range(5):
        norm(torch.rand(4))
    assert norm.emp_norm.count.item() == (12 if until == 10 else 20)


def _distributed_worker(rank: int, world_size: int, init_file: str, data: torch.Tensor, splits: list, out: str):
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        norm = EmpiricalNormalization(data.shape[1])
        # Each rank sees different batches (of different sizes) of the same global stream
        for batch in torch.split(data, splits):
            half = batch.shape[0] // 3
            norm.update(batch[:half] if rank == 0 else batch[half:])
        torch.save(norm.state_dict(), f"{out}_{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


def test_distributed_update_equals_statistics_of_all_ranks(tmp_path):
    torch.manual_seed(8)
    data = torch.randn(600, 3) * torch.tensor([1.0, 2.0, 0.5]) + torch.tensor([0.0, 5.0, -1.0])
    splits = [100, 200, 300]
    out = str(tmp_path / "stats")
    torch.multiprocessing.spawn(
        _distributed_worker, args=(2, str(tmp_path / "init"), data, splits, out), nprocs=2, join=True
    )
    for rank in range(2):
        state = torch.load(f"{out}_{rank}.pt")
        assert state["count"].item() == 600
        torch.testing.assert_close(state["_mean"].squeeze(0), data.mean(dim=0), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(state["_std"].squeeze(0), data.std(dim=0, unbiased=False), rtol=1e-5, atol=1e-5)
