"""Ctrl-C: an update is never cut in half, the last finished iteration is saved, ``rsl-sim train`` exits with 130."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from helpers import learner_state, pendulum_cfg

from rsl_sim.cli.agent_config import set_seed
from rsl_sim.runners import OnPolicyRunner
from rsl_sim.utils.interrupts import deferred_keyboard_interrupt
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

pytestmark = pytest.mark.usefixtures("one_torch_thread", "default_sigint")


@pytest.fixture
def default_sigint():
    """Python's own Ctrl-C handler for the test, also where the suite was started with SIGINT ignored.

    A process started in the background by a non-interactive shell inherits SIGINT ignored, and Python then keeps it
    ignored; the interrupt handling (rightly) leaves such a process alone, so these tests set the default first.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _default_sigint_in_child() -> None:
    """In the child before exec: SIGINT to its default, so that the new Python installs its KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_deferred_keyboard_interrupt_raises_after_the_block():
    finished = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_keyboard_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the signal arrives while the block runs
            finished.append(True)
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_interrupt_during_update_completes_it_and_saves_that_iteration(tmp_path):
    set_seed(0)
    env = GymnasiumVecEnvWrapper.from_id("Pendulum-v1", num_envs=4, seed=0, device="cpu")
    runner = OnPolicyRunner(env, pendulum_cfg(False), log_dir=str(tmp_path), device="cpu")
    update = runner.alg.update
    calls = []

    def interrupted_update():
        calls.append(True)
        if len(calls) == 3:  # Ctrl-C arrives at the start of iteration 2's update
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        return update()

    runner.alg.update = interrupted_update
    with pytest.raises(KeyboardInterrupt):
        runner.learn(100)

    # Iteration 2 finished and is saved (model_0.pt was saved by the schedule), with its updated parameters
    assert runner.current_learning_iteration == 2
    assert runner.last_checkpoint == str(tmp_path / "model_2.pt") and runner.last_checkpoint_iteration == 2
    data = torch.load(tmp_path / "model_2.pt", weights_only=True)
    assert data["iter"] == 2
    assert torch.equal(data["actor_state_dict"]["mlp.0.weight"], learner_state(runner)["actor.mlp.0.weight"])
    assert sorted(name for name in os.listdir(tmp_path) if name.endswith(".pt")) == ["model_0.pt", "model_2.pt"]


def test_ctrl_c_during_rsl_sim_train_saves_the_last_finished_iteration(tmp_path):
    command = [
        sys.executable,
        "-m",
        "rsl_sim.cli",
        "train",
        "--task",
        "Pendulum-v1",
        "--num_envs",
        "4",
        "--device",
        "cpu",
        "--max_iterations",
        "100000",
        "--log_root",
        str(tmp_path),
        "agent.save_interval=3",
        "agent.num_steps_per_env=16",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        preexec_fn=_default_sigint_in_child,  # noqa: PLW1509  (single-threaded test process)
    )
    try:
        # Wait for iteration 3's checkpoint (iterations 0-3 finished), then interrupt
        deadline = time.monotonic() + 180
        while not [p for p in _checkpoints(tmp_path) if p.endswith("model_3.pt")]:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "no checkpoint of iteration 3 within 180 s"
            time.sleep(0.1)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130, output
    match = re.search(r"interrupted; iteration (\d+) is saved in (\S+\.pt)", output)
    assert match, output
    iteration, path = int(match.group(1)), match.group(2)
    # The last finished iteration: a new file, or model_3.pt if the interrupt came right after that scheduled save
    assert iteration >= 3 and os.path.basename(path) == f"model_{iteration}.pt"
    # The newest checkpoint, complete and loadable with the safe loader
    assert max(_checkpoints(tmp_path), key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[-1])) == path
    data = torch.load(path, weights_only=True)
    assert data["iter"] == iteration and "resume_state" in data
    assert all(torch.isfinite(value).all() for value in data["actor_state_dict"].values())


def _checkpoints(root) -> list[str]:
    found = []
    for folder, _, files in os.walk(root):
        found += [os.path.join(folder, name) for name in files if re.fullmatch(r"model_\d+\.pt", name)]
    return found
