"""What a checkpoint needs beyond the models and optimizer so that a resumed run is the same run.

A checkpoint written by :meth:`~rsl_sim.runners.OnPolicyRunner.save` holds, under :data:`RESUME_STATE_KEY`:

- ``"rng"``: the process' random number generator states (torch CPU and CUDA, NumPy, Python),
  see :mod:`rsl_sim.utils.rng_state`;
- ``"hidden_states"``: the recurrent states of the algorithm's models (``actor``, ``critic``, ``student``,
  ``teacher``) and of ``last_hidden_states`` (distillation), which carry over from one rollout to the next;
- ``"counters"``: the algorithm's update counter (distillation's ``num_updates``);
- ``"rnd"``: with curiosity, RND's step counter and weight (the weight schedule) and the running discounted return of
  its reward normalizer, which its state dict leaves out;
- ``"statistics"``: the logger's episode statistics and totals, so that the logged curves continue;
- ``"arithmetic"``: the weight-gradient back end the process had chosen (``onednn_weight_gradient``: True, False or
  None, see :func:`rsl_sim.modules.linear.adopt_onednn_weight_gradient`), which a new process would measure again;
- ``"env"``: the env's state from its optional ``get_env_state()`` (see :class:`~rsl_sim.env.VecEnv`), or ``None``
  with ``"env_missing_reason"`` when the env cannot save it.

Everything is plain checkpoint data (tensors, numbers, strings, lists, dicts), loadable with
``torch.load(weights_only=True)``. ``learn(N)``, ``save``, a new process, ``load`` and ``learn(N)`` then give the same
parameters, bit for bit on the CPU, as ``learn(2N)``, when the env saves its state. An env that cannot (Isaac Lab, a
gymnasium env of unknown make-up) restarts from its own reset: the learner continues exactly, the experience differs.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import torch

from rsl_sim.modules.linear import adopt_onednn_weight_gradient, decided_onednn_weight_gradient
from rsl_sim.utils.rng_state import get_rng_states, set_rng_states

if TYPE_CHECKING:
    from .on_policy_runner import OnPolicyRunner

__all__ = [
    "RESUME_STATE_KEY",
    "capture_env_state",
    "capture_resume_state",
    "restore_env_state",
    "restore_learner_state",
]

RESUME_STATE_KEY = "resume_state"
"""Checkpoint entry holding the resume state (ignored by RSL-RL 5.x, which reads only the entries it knows)."""

# Models of the algorithms whose recurrent state carries over between rollouts (PPO, Distillation)
_MODEL_NAMES = ("actor", "critic", "student", "teacher")


def capture_env_state(env: Any) -> tuple[dict | None, str | None]:
    """The env's state from its ``get_env_state()``, or ``(None, reason)`` when it has none or cannot save it.

    Raises:
        Whatever ``get_env_state`` raises besides ``NotImplementedError``.
    """
    method = getattr(env, "get_env_state", None)
    if method is None:
        return None, f"{type(env).__name__} has no get_env_state() method"
    try:
        return method(), None
    except NotImplementedError as error:
        return None, str(error) or f"{type(env).__name__}.get_env_state() is not implemented"


def restore_env_state(env: Any, state: dict | None, reason: str | None) -> bool:
    """Give the env its saved state; warn and return False where that is not possible.

    Args:
        env: The env.
        state: The saved state, or None.
        reason: Why the state is missing (from :func:`capture_env_state`).

    Returns:
        Whether the env now holds the saved state.
    """
    method = getattr(env, "set_env_state", None)
    problem = None
    if state is None:
        problem = f"the checkpoint holds no env state ({reason})"
    elif method is None:
        problem = f"{type(env).__name__} has no set_env_state() method"
    else:
        try:
            method(_to_cpu(state))  # the env moves what it needs to its device
        except (ValueError, NotImplementedError) as error:
            problem = f"the env refused the saved state: {error}"
    if problem is None:
        return True
    warnings.warn(
        f"Resuming without the env's state: {problem}. The learner is restored exactly (parameters, optimizer,"
        " learning rate, iteration, random number generators, recurrent states), but the env continues from its own"
        " reset, so the experience and the results differ from those of an uninterrupted run.",
        stacklevel=4,
    )
    return False


def capture_resume_state(runner: OnPolicyRunner) -> dict[str, Any]:
    """Everything beyond the algorithm's state dicts that the runner's next iteration depends on (see module)."""
    alg = runner.alg
    hidden_states = {name: _detached(_model_hidden_state(alg, name)) for name in _MODEL_NAMES if _has_model(alg, name)}
    if hasattr(alg, "last_hidden_states"):
        hidden_states["last_hidden_states"] = _detached(tuple(alg.last_hidden_states))
    counters = {"num_updates": int(alg.num_updates)} if hasattr(alg, "num_updates") else {}
    env_state, reason = capture_env_state(runner.env)
    return {
        "rng": get_rng_states(),
        "hidden_states": hidden_states,
        "counters": counters,
        "rnd": _rnd_state(getattr(alg, "rnd", None)),
        "statistics": runner.logger.state_dict(),
        "arithmetic": {"onednn_weight_gradient": decided_onednn_weight_gradient()},
        "env": env_state,
        "env_missing_reason": reason,
    }


def restore_learner_state(runner: OnPolicyRunner, state: dict[str, Any]) -> None:
    """Apply the learner's part of a resume state before the first iteration of a resumed ``learn``.

    Recurrent states, counters, episode statistics and the weight-gradient back end, then the random number generators
    (last, so that nothing after them draws before the first iteration). The env's part is :func:`restore_env_state`.

    Args:
        runner: The runner about to continue.
        state: The checkpoint's :data:`RESUME_STATE_KEY` entry.

    Raises:
        ValueError: For malformed random number generator states.
    """
    alg = runner.alg
    for name, hidden_state in state.get("hidden_states", {}).items():
        hidden_state = _to_device(hidden_state, runner.device)
        if name == "last_hidden_states":
            alg.last_hidden_states = hidden_state
        elif _has_model(alg, name):
            getattr(alg, name).reset(hidden_state=hidden_state)
    for name, value in state.get("counters", {}).items():
        setattr(alg, name, value)
    rnd, rnd_state = getattr(alg, "rnd", None), state.get("rnd")
    if rnd is not None and rnd_state is not None:
        rnd.update_counter = rnd_state["update_counter"]
        rnd.weight = rnd_state["weight"]
        if rnd_state["discounted_return"] is not None:
            rnd.reward_normalizer._discounted_return = rnd_state["discounted_return"].to(runner.device)
    if "statistics" in state:
        runner.logger.load_state_dict(state["statistics"])
    adopt_onednn_weight_gradient(state.get("arithmetic", {}).get("onednn_weight_gradient"))
    if "rng" in state:
        set_rng_states(state["rng"])


def _rnd_state(rnd: Any) -> dict[str, Any] | None:
    """RND's schedule position and its reward normalizer's running return (None without RND)."""
    if rnd is None:
        return None
    discounted = getattr(rnd.reward_normalizer, "_discounted_return", None)
    return {
        "update_counter": int(rnd.update_counter),
        "weight": float(rnd.weight),
        "discounted_return": discounted.detach().clone() if discounted is not None else None,
    }


def _has_model(alg: Any, name: str) -> bool:
    return hasattr(getattr(alg, name, None), "get_hidden_state")


def _model_hidden_state(alg: Any, name: str) -> Any:
    return getattr(alg, name).get_hidden_state()


def _detached(value: Any) -> Any:
    """Detached copies of the tensors in a hidden state (a tensor, a tuple of them, None)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (tuple, list)):
        return tuple(_detached(item) for item in value)
    return value


def _to_cpu(value: Any) -> Any:
    """The tensors of nested dicts/lists/tuples on the CPU (a checkpoint may have been mapped to a GPU)."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(item) for item in value)
    return value


def _to_device(value: Any, device: str) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (tuple, list)):
        return tuple(_to_device(item, device) for item in value)
    return value
