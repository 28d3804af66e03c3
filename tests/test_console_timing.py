"""The console summary of each iteration splits its time into collection and learning (as RSL-RL prints it)."""

from __future__ import annotations

import io

from rsl_sim.utils.logger import Logger


def test_iteration_line_shows_collection_and_learning_time(monkeypatch):
    cfg = {"num_steps_per_env": 24, "algorithm": {}, "run_name": ""}
    logger = Logger(log_dir=None, cfg=cfg, env_cfg=None, num_envs=8)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    logger.log(
        it=0,
        start_it=0,
        total_it=1,
        collect_time=1.234,
        learn_time=0.567,
        loss_dict={"surrogate": 0.1},
        learning_rate=1e-3,
        action_std=None,
    )
    logger.stop_logging_writer()
    line = stream.getvalue().strip().splitlines()[-1]
    assert "collect 1.23s" in line and "learn 0.57s" in line
    # steps/s is computed from the sum of both parts: 24 * 8 samples in 1.801 s
    assert "steps/s 106" in line
