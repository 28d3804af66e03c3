"""OnPolicyRunner: determinism, checkpoint round trips and resume, NaN guard, config validation, logging output."""

from __future__ import annotations

import copy
import io
import os
import shutil
import subprocess

import pytest
import torch
import yaml
from tensordict import TensorDict
from tracking_env import EPISODE_LENGTH, NUM_ENVS, NUM_STEPS, TrackingEnv, make_cfg

from rsl_sim.runners import OnPolicyRunner
from rsl_sim.utils import checkpoint as checkpoint_module
from rsl_sim.utils.console import ConsoleReporter, format_summary
from rsl_sim.utils.git_state import store_git_state
from rsl_sim.utils.nan_check import NonFiniteEnvOutputError, check_nan


def make_runner(cfg=None, env=None, log_dir=None, seed=0) -> OnPolicyRunner:
    torch.manual_seed(seed)
    env = env if env is not None else TrackingEnv(seed=seed)
    return OnPolicyRunner(env, cfg if cfg is not None else make_cfg(), log_dir=log_dir, device="cpu")


def parameters(runner: OnPolicyRunner) -> dict[str, torch.Tensor]:
    state = {f"actor.{k}": v for k, v in runner.alg.get_policy().state_dict().items()}
    state.update({f"critic.{k}": v for k, v in runner.alg.critic.state_dict().items()})
    return {k: v.clone() for k, v in state.items()}


def assert_same_parameters(a: dict, b: dict, atol: float = 0.0) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0.0, atol=atol, msg=f"parameter {key} differs")


# ---------------------------------------------------------------------------------------------------------------------
# Determinism, save/load, resume
# ---------------------------------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_parameters_and_training_changes_them():
    first = make_runner(seed=3)
    initial = parameters(first)
    first.learn(2)
    second = make_runner(seed=3)
    second.learn(2)
    assert_same_parameters(parameters(first), parameters(second))
    # Training did move the weights (otherwise the comparison above would prove nothing)
    assert any(not torch.equal(initial[k], v) for k, v in parameters(first).items())
    # Another seed gives other weights
    third = make_runner(seed=4)
    third.learn(2)
    assert any(not torch.equal(parameters(first)[k], v) for k, v in parameters(third).items())


def test_save_load_continue_equals_uninterrupted_run(tmp_path):
    # Uninterrupted: 4 iterations
    straight = make_runner(seed=1)
    straight.learn(4)

    # Interrupted: 2 iterations, checkpoint, a new runner on the same env loads it and does 2 more
    env = TrackingEnv(seed=1)
    before = make_runner(seed=1, env=env)
    before.learn(2)
    path = tmp_path / "model_1.pt"
    before.save(str(path))
    rng = torch.get_rng_state()  # random number generator states are not part of a checkpoint
    after = make_runner(seed=123, env=env)
    after.load(str(path))
    torch.set_rng_state(rng)
    assert after.current_learning_iteration == 1
    after.learn(2)

    assert after.current_learning_iteration == straight.current_learning_iteration == 3
    assert after.alg.learning_rate == straight.alg.learning_rate
    assert_same_parameters(parameters(after), parameters(straight), atol=1e-6)


def test_resume_keeps_iteration_count_and_learning_rate(tmp_path):
    # A tiny desired KL makes the adaptive schedule lower the learning rate at every mini-batch
    cfg = make_cfg(algorithm={**make_cfg()["algorithm"], "desired_kl": 1e-8})
    runner = make_runner(cfg=cfg, log_dir=str(tmp_path / "run"))
    runner.learn(3)
    trained_lr = runner.alg.learning_rate
    assert trained_lr < cfg["algorithm"]["learning_rate"]
    assert {f"model_{i}.pt" for i in range(3)} <= set(os.listdir(tmp_path / "run"))

    resumed = make_runner(cfg=cfg, log_dir=str(tmp_path / "run2"), seed=9)
    assert resumed.alg.learning_rate == cfg["algorithm"]["learning_rate"]
    resumed.load(str(tmp_path / "run" / "model_2.pt"))
    assert resumed.current_learning_iteration == 2
    assert resumed.alg.learning_rate == pytest.approx(trained_lr)
    assert resumed.alg.optimizer.param_groups[0]["lr"] == pytest.approx(trained_lr)

    # Training continues with the next iteration number
    resumed.learn(2)
    assert resumed.current_learning_iteration == 4
    assert {"model_3.pt", "model_4.pt"} <= set(os.listdir(tmp_path / "run2"))
    assert "model_2.pt" not in os.listdir(tmp_path / "run2")
    assert torch.load(tmp_path / "run2" / "model_4.pt", weights_only=True)["iter"] == 4


def test_load_without_iteration_starts_from_zero(tmp_path):
    runner = make_runner()
    runner.learn(2)
    runner.save(str(tmp_path / "model_1.pt"), infos={"note": "x"})
    fresh = make_runner(seed=5)
    infos = fresh.load(str(tmp_path / "model_1.pt"), load_cfg={"actor": True, "critic": True})
    assert infos == {"note": "x"}
    assert fresh.current_learning_iteration == 0
    assert_same_parameters(parameters(fresh), parameters(runner))


def test_checkpoint_layout_matches_rsl_rl(tmp_path):
    runner = make_runner(log_dir=str(tmp_path))
    runner.learn(1)
    data = torch.load(tmp_path / "model_0.pt", weights_only=True)
    assert {"actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter", "infos"} <= set(data)
    assert data["iter"] == 0 and data["infos"] is None


def test_crash_during_runner_save_keeps_last_checkpoint(tmp_path, monkeypatch):
    runner = make_runner(log_dir=str(tmp_path))
    runner.learn(2)
    path = tmp_path / "model_1.pt"
    before = path.read_bytes()

    def crash(obj, file, *args, **kwargs):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        runner.save(str(path))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    make_runner(seed=2).load(str(path))


# ---------------------------------------------------------------------------------------------------------------------
# NaN guard
# ---------------------------------------------------------------------------------------------------------------------


def test_nan_from_env_raises_clear_error_and_last_checkpoint_is_intact(tmp_path):
    # Iteration k covers env steps k * NUM_STEPS + 1 ... (k + 1) * NUM_STEPS; inject in the middle of iteration 3
    env = TrackingEnv(nan_at_step=3 * NUM_STEPS + 4)
    runner = make_runner(env=env, log_dir=str(tmp_path))
    with pytest.raises(NonFiniteEnvOutputError) as info:
        runner.learn(10)
    message = str(info.value)
    assert "observation group 'policy'" in message
    assert "iteration 3" in message
    assert "indices: 3" in message
    assert isinstance(info.value, ValueError)

    # Checkpoints of the finished iterations are there and load; nothing of iteration 3 was written
    files = set(os.listdir(tmp_path))
    assert {"model_0.pt", "model_1.pt", "model_2.pt"} <= files
    assert "model_3.pt" not in files and not [f for f in files if f.endswith(".tmp")]
    restored = make_runner(seed=7)
    restored.load(str(tmp_path / "model_2.pt"))
    assert restored.current_learning_iteration == 2
    assert all(torch.isfinite(v).all() for v in parameters(restored).values())


def test_nan_check_covers_every_group_and_can_be_disabled():
    # NaN in a group that no model reads: the check still reports it ...
    with pytest.raises(NonFiniteEnvOutputError, match="observation group 'debug'.*iteration 0"):
        make_runner(env=TrackingEnv(nan_at_step=2, nan_group="debug")).learn(1)
    # ... and with check_for_nan=False training runs through (the learner never reads that group)
    runner = make_runner(cfg=make_cfg(check_for_nan=False), env=TrackingEnv(nan_at_step=2, nan_group="debug"))
    runner.learn(2)
    assert runner.current_learning_iteration == 1


def test_check_nan_names_the_source():
    obs = TensorDict({"policy": torch.zeros(4, 2), "height_scan": torch.zeros(4, 3)}, batch_size=[4])
    check_nan(obs, torch.zeros(4), torch.zeros(4, dtype=torch.bool))
    obs["height_scan"][2, 0] = float("inf")
    with pytest.raises(NonFiniteEnvOutputError, match="observation group 'height_scan'.*0 NaN and 1 Inf") as info:
        check_nan(obs, torch.zeros(4), torch.zeros(4), iteration=12)
    assert info.value.env_ids == [2] and info.value.iteration == 12
    obs["height_scan"][2, 0] = 0.0
    with pytest.raises(NonFiniteEnvOutputError, match="rewards .* 2 NaN"):
        check_nan(obs, torch.tensor([0.0, float("nan"), float("nan"), 1.0]), torch.zeros(4))


# ---------------------------------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------------------------------


def test_unknown_top_level_key_is_an_error_listing_valid_keys():
    with pytest.raises(ValueError, match="bogus_key") as info:
        make_runner(cfg=make_cfg(bogus_key=1, num_step_per_env=3))
    assert "num_step_per_env" in str(info.value) and "num_steps_per_env" in str(info.value)


def test_missing_required_key_is_an_error():
    cfg = make_cfg()
    del cfg["num_steps_per_env"]
    with pytest.raises(ValueError, match="num_steps_per_env"):
        make_runner(cfg=cfg)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "8"])
def test_invalid_num_steps_is_an_error(bad):
    with pytest.raises(ValueError, match="num_steps_per_env"):
        make_runner(cfg=make_cfg(num_steps_per_env=bad))


def test_isaaclab_runner_cfg_keys_are_accepted_and_user_dict_is_untouched(tmp_path):
    # The keys of Isaac Lab's RslRlOnPolicyRunnerCfg converted to a dict
    cfg = make_cfg(
        seed=42,
        device="cpu",
        max_iterations=1500,
        empirical_normalization=False,
        clip_actions=None,
        check_for_nan=True,
        experiment_name="toy",
        run_name="",
        logger="tensorboard",
        neptune_project="isaaclab",
        wandb_project="isaaclab",
        resume=False,
        load_run=".*",
        load_checkpoint="model_.*.pt",
        class_name="OnPolicyRunner",
        init_at_random_ep_len=True,
        torch_compile_mode=None,
        policy=None,
    )
    original = copy.deepcopy(cfg)
    runner = make_runner(cfg=cfg, log_dir=str(tmp_path))
    runner.learn(1)
    assert cfg == original


def test_pre_4_policy_entry_is_refused_with_migration_hint():
    cfg = make_cfg(policy={"class_name": "ActorCritic", "actor_hidden_dims": [32]})
    del cfg["actor"], cfg["critic"]
    with pytest.raises(ValueError, match="'actor'"):
        make_runner(cfg=cfg)


# ---------------------------------------------------------------------------------------------------------------------
# Episode lengths, logging, console, git state
# ---------------------------------------------------------------------------------------------------------------------


def test_init_at_random_ep_len_writes_random_lengths_below_the_limit():
    env = TrackingEnv()
    runner = make_runner(env=env)
    seen = []
    original_step = env.step

    def spy(actions):
        if not seen:
            seen.append(env.episode_length_buf.clone())
        return original_step(actions)

    env.step = spy
    runner.learn(1, init_at_random_ep_len=True)
    lengths = seen[0]
    assert lengths.dtype == torch.long
    assert int(lengths.min()) >= 0 and int(lengths.max()) < EPISODE_LENGTH
    assert len(set(lengths.tolist())) > 1


def test_tensorboard_tags_values_and_run_files(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runner = make_runner(log_dir=str(tmp_path))
    runner.learn(3)  # 24 steps per env: two finished episodes of exactly 10 steps each

    accumulator = EventAccumulator(str(tmp_path))
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    expected = {
        "Loss/learning_rate",
        "Policy/mean_std",
        "Policy/mean_noise_std",
        "Perf/total_fps",
        "Perf/collection_time",
        "Perf/learning_time",
        "Train/mean_reward",
        "Train/mean_episode_length",
        "Train/mean_reward/time",
        "Episode/tracking_error",
        "Custom/constant",
    }
    assert expected <= tags, expected - tags
    loss_tags = {tag for tag in tags if tag.startswith("Loss/") and tag != "Loss/learning_rate"}
    assert loss_tags, "the algorithm's losses are logged under Loss/"
    assert [event.step for event in accumulator.Scalars("Loss/learning_rate")] == [0, 1, 2]

    # Values: extras entries are averaged, episode statistics come from the rewards and dones the runner saw
    assert [e.value for e in accumulator.Scalars("Custom/constant")] == pytest.approx([0.5, 0.5, 0.5])
    assert [e.value for e in accumulator.Scalars("Train/mean_episode_length")] == pytest.approx([10.0, 10.0])
    returns = list(runner.logger.episodes.returns)
    assert len(returns) == 2 * NUM_ENVS
    assert accumulator.Scalars("Train/mean_reward")[-1].value == pytest.approx(sum(returns) / len(returns), rel=1e-5)
    # The action std starts at init_std = 1.0 and moves little in one iteration
    assert accumulator.Scalars("Policy/mean_std")[0].value == pytest.approx(1.0, abs=0.05)

    # Resolved config and env config as YAML, git state, checkpoints
    agent = yaml.safe_load((tmp_path / "params" / "agent.yaml").read_text())
    assert agent["num_steps_per_env"] == NUM_STEPS and agent["check_for_nan"] is True
    assert agent["obs_groups"] == {"actor": ["policy"], "critic": ["policy", "critic"]}
    env_cfg = yaml.safe_load((tmp_path / "params" / "env.yaml").read_text())
    assert env_cfg == {"task": "tracking", "episode_length": EPISODE_LENGTH}
    assert {"model_0.pt", "model_1.pt", "model_2.pt"} <= set(os.listdir(tmp_path))


def test_no_log_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = make_runner(log_dir=None)
    runner.learn(2)
    assert os.listdir(tmp_path) == []
    assert runner.logger.writer is None


def test_wandb_missing_gives_clear_error(tmp_path):
    pytest.importorskip("tensorboard")
    try:
        import wandb  # noqa: F401
    except ModuleNotFoundError:
        pass
    else:
        pytest.skip("wandb is installed")
    runner = make_runner(cfg=make_cfg(logger="wandb", wandb_project="p"), log_dir=str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="pip install wandb"):
        runner.learn(1)


def test_unknown_logger_name_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="Unknown logger 'csv'.*tensorboard"):
        make_runner(cfg=make_cfg(logger="csv"), log_dir=str(tmp_path))


def test_neptune_logger_is_refused_with_alternatives(tmp_path):
    runner = make_runner(cfg=make_cfg(logger="neptune"), log_dir=str(tmp_path))
    with pytest.raises(ValueError, match="neptune.*not supported.*wandb"):
        runner.learn(1)


def test_custom_log_writer_by_class_name(tmp_path):
    received = []

    from rsl_sim.utils import LogWriter

    class ListWriter(LogWriter):
        def __init__(self, log_dir, prefix):
            self.prefix = prefix

        def add_scalar(self, tag, scalar_value, global_step):
            received.append((self.prefix + tag, global_step))

    runner = make_runner(cfg=make_cfg(logger={"class_name": ListWriter, "prefix": "x/"}), log_dir=str(tmp_path))
    runner.learn(2)
    assert ("x/Loss/learning_rate", 1) in received


def test_console_plain_lines_without_terminal():
    stream = io.StringIO()
    reporter = ConsoleReporter(start_iteration=0, total_iterations=25, plain_every=10, stream=stream)
    for it in range(25):
        reporter.report(it, 0.5, {"reward": -12.3456, "steps": 123456})
    reporter.stop()
    lines = stream.getvalue().splitlines()
    # First, every tenth and the last iteration; no escape codes
    assert [line.split(" | ")[0] for line in lines] == ["it  0/25", "it  9/25", "it 19/25", "it 24/25"]
    assert "\x1b" not in stream.getvalue()
    assert "reward -12.35" in lines[0] and "steps 123k" in lines[0] and "eta 0:00:12" in lines[0]
    assert lines[-1].endswith("eta 0:00:00")


def test_format_summary_is_compact():
    line = format_summary(3, 100, {"reward": -523.123, "ep_len": 200.0, "lr": "1.00e-03"})
    assert line == "it   3/100 | reward -523.1 | ep_len 200 | lr 1.00e-03"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_state_records_commit_status_and_diff(tmp_path):
    repo = tmp_path / "myrepo"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    (repo / "a.py").write_text("x = 2\n")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()

    out = tmp_path / "log" / "git"
    written = store_git_state([str(repo / "a.py"), str(repo), str(tmp_path / "not_a_repo")], str(out))
    assert written == [str(out / "myrepo.diff")]
    text = (out / "myrepo.diff").read_text()
    assert commit in text and "-x = 1" in text and "+x = 2" in text and "modified:" in text
