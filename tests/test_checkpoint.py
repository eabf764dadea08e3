"""Checkpoints and resume: a run stopped anywhere and resumed from its checkpoint ends with the very
same weights as a run that was never stopped; a diverged or interrupted run still yields its result
so far; checkpoint files load without running code."""

import math
import pickle
import shutil
import threading

import numpy as np
import pytest
import torch

from pinnsolve.checkpoint import load_checkpoint, save_checkpoint
from pinnsolve.problem import Problem
from pinnsolve.solve import solve
from pinnsolve.spec import build_spec, resume_conflict
from pinnsolve.train import TrainingDiverged, TrainingInterrupted

HEAT = {
    "variables": {"x": [0, 1], "t": [0, 0.5]},
    "fields": ["u"],
    "params": {"k": 0.1},
    "pde": "u_t - k*u_xx",
    "conditions": [{"type": "initial", "value": "sin(pi*x)"},
                   {"type": "dirichlet", "on": ["x=0", "x=1"], "value": 0, "name": "boundary"}],
    "reference": {"type": "expression", "u": "exp(-k*pi**2*t)*sin(pi*x)"},
    "network": {"type": "mlp", "width": 8, "depth": 2},
    "evaluation": {"grid": {"x": 11, "t": 6}},
}
# Every source of state the trainer carries: a stochastic weighting, residual-based resampling, a
# schedule, early stopping, clipping, and an L-BFGS phase with its own resampling.
STATEFUL = {
    "optimizer": {"type": "adan", "lr": 0.01},
    "weighting": {"type": "relobralo", "rho": 0.5, "seed": 3},
    "training": {"iterations": 40, "log_every": 7, "resample_every": 5, "adaptive": {"candidates": 400},
                 "schedule": {"type": "exponential"}, "clip_grad_norm": 1.0,
                 "early_stopping": {"patience": 1000}, "points": {"pde": 64, "initial": 16, "boundary": 16},
                 "polish": {"iterations": 30, "resample_every": 12, "points": {"pde": 100}}},
}
# The dense and Gauss–Newton polishes carry their own state (an inverse Hessian, a damping).
DENSE = STATEFUL | {"training": STATEFUL["training"] | {"polish": {"type": "ssbroyden", "iterations": 30,
                                                                  "resample_every": 12, "points": {"pde": 100}}}}
LEVENBERG = STATEFUL | {"training": STATEFUL["training"] | {"polish": {"type": "lm", "iterations": 20,
                                                                      "points": {"pde": 50}}}}
GRADNORM = {
    "optimizer": {"type": "adam", "lr": 0.01},
    "weighting": {"type": "gradnorm", "every": 3},
    "training": {"iterations": 30, "log_every": 4, "sampler": "lhs", "resample_every": 1,
                 "schedule": {"type": "plateau", "patience": 2}, "points": {"pde": 48, "initial": 16, "boundary": 16}},
}


def run(document, **options):
    spec = build_spec(document)  # a fresh spec builds a fresh weighting object each time
    return solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes,
                 spec=spec.text, **options)


def stop_at(step: int):
    """A stop event set by the progress report once the run has logged ``step``."""
    stop = threading.Event()

    def progress(logged, total, row):
        if logged >= step:
            stop.set()

    return stop, progress


def assert_same_weights(a, b):
    assert a.model_state.keys() == b.model_state.keys()
    for name in a.model_state:
        assert np.array_equal(a.model_state[name], b.model_state[name]), name


@pytest.mark.parametrize("options, stop_step", [(STATEFUL, 10), (STATEFUL, 21), (STATEFUL, 55), (DENSE, 55),
                                                (LEVENBERG, 47), (GRADNORM, 8)],
                         ids=["first-phase", "at-a-resample", "lbfgs-phase", "ssbroyden-phase", "lm-phase",
                              "gradnorm-plateau-lhs"])
def test_interrupted_and_resumed_run_is_bit_identical(options, stop_step, tmp_path):
    document = HEAT | options
    uninterrupted = run(document)
    checkpoint = tmp_path / "checkpoint.pt"
    stop, progress = stop_at(stop_step)
    with pytest.raises(TrainingInterrupted) as caught:
        run(document, checkpoint=checkpoint, stop=stop, progress=progress)
    assert stop_step <= caught.value.step < uninterrupted.attrs["steps"]
    resumed = run(document, checkpoint=checkpoint, resume=True)
    assert_same_weights(uninterrupted, resumed)
    assert resumed.attrs["steps"] == uninterrupted.attrs["steps"] and resumed.attrs["status"] == "complete"
    for key in ("step", "total", "lr", "weight/pde", "weight/boundary", "rel_l2/u"):
        assert np.array_equal(resumed.history[key], uninterrupted.history[key]), key


def test_resume_from_a_periodic_checkpoint_of_a_killed_run(tmp_path):
    """What a kill -9 leaves: the last periodic checkpoint. Resuming from it gives the same end."""
    document = HEAT | STATEFUL | {"training": STATEFUL["training"] | {"checkpoint_every": 10}}
    checkpoint, copy = tmp_path / "checkpoint.pt", tmp_path / "killed.pt"
    seen = []

    def progress(step, total, row):
        if checkpoint.exists() and not seen:  # the first checkpoint on disk is the one a kill would leave
            seen.append(load_checkpoint(checkpoint)["trainer"]["step"])
            shutil.copy(checkpoint, copy)

    uninterrupted = run(document, checkpoint=checkpoint, progress=progress)
    assert seen == [10]
    assert load_checkpoint(checkpoint)["trainer"]["phase"] == "done"  # the final state is saved too
    resumed = run(document, checkpoint=copy, resume=True)
    assert_same_weights(uninterrupted, resumed)


def test_a_finished_run_continues_with_a_larger_budget(tmp_path):
    """Without a schedule (which is fitted to the budget), 20 steps and then 10 more are 30 steps;
    a later L-BFGS budget then polishes the same run."""
    base = HEAT | {"optimizer": {"type": "adan", "lr": 0.01},
                   "training": {"iterations": 30, "log_every": 10, "resample_every": 3,
                                "points": {"pde": 32, "initial": 8, "boundary": 8}}}
    at = lambda iterations, lbfgs=0: base | {"training": base["training"] | {"iterations": iterations,  # noqa: E731
                                                                             "polish": {"iterations": lbfgs}}}
    checkpoint = tmp_path / "checkpoint.pt"
    run(at(20), checkpoint=checkpoint)
    continued = run(at(30), checkpoint=checkpoint, resume=True)
    assert_same_weights(run(at(30)), continued)
    assert continued.history["step"].tolist() == [10, 20, 30]
    polished = run(at(30, lbfgs=5), checkpoint=checkpoint, resume=True)
    assert_same_weights(run(at(30, lbfgs=5)), polished)
    assert run(at(30, lbfgs=5), checkpoint=checkpoint, resume=True).attrs["steps"] == 35  # nothing left to do


def test_checkpoints_come_every_checkpoint_every_steps(tmp_path):
    document = HEAT | {"training": {"iterations": 25, "log_every": 1, "checkpoint_every": 10,
                                    "points": {"pde": 16, "initial": 8, "boundary": 8}}}
    checkpoint = tmp_path / "checkpoint.pt"
    steps = []
    run(document, checkpoint=checkpoint,
        progress=lambda step, total, row: steps.append(load_checkpoint(checkpoint)["trainer"]["step"]
                                                       if checkpoint.exists() else None))
    # the checkpoint is written at the start of the step after each multiple of 10
    assert steps == [None] * 10 + [10] * 10 + [20] * 5
    assert load_checkpoint(checkpoint)["trainer"]["step"] == 25


def test_checkpoint_holds_the_spec_and_plain_data(tmp_path):
    document = HEAT | {"training": {"iterations": 3, "points": {"pde": 16, "initial": 8, "boundary": 8}}}
    checkpoint = tmp_path / "checkpoint.pt"
    result = run(document, checkpoint=checkpoint)
    saved = load_checkpoint(checkpoint)
    assert saved["spec"] == result.spec and saved["format"] == 3
    torch.load(checkpoint, weights_only=True)  # only tensors and plain data inside
    assert not any(p.name.endswith(".tmp") or ".tmp" in p.name for p in tmp_path.iterdir())


class _Payload:
    def __reduce__(self):
        return (exec, ("open('MARKER', 'w').write('ran')",))


def test_loading_a_checkpoint_never_runs_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = tmp_path / "hostile.pt"
    hostile.write_bytes(pickle.dumps({"format": 1, "spec": "", "trainer": _Payload()}, protocol=2))
    with pytest.raises(ValueError, match="not a pinnsolve checkpoint"):
        load_checkpoint(hostile)
    assert not (tmp_path / "MARKER").exists()
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(ValueError, match="not a pinnsolve checkpoint of format 3"):
        load_checkpoint(foreign)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a pinnsolve checkpoint"):
        load_checkpoint(tmp_path / "text.pt")


def test_save_checkpoint_replaces_atomically(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, {"step": 1})
    save_checkpoint(path, {"step": 2})
    assert load_checkpoint(path)["trainer"] == {"step": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_resume_needs_a_checkpoint_file():
    with pytest.raises(ValueError, match="resume needs the checkpoint file"):
        run(HEAT | {"training": {"iterations": 1}}, resume=True)


# -- runs that stop early ----------------------------------------------------------------------

def test_divergence_keeps_the_last_good_state_and_checkpoint(tmp_path):
    """A NaN at step 23: the run stops naming the term and step; the result holds the weights of the
    last logged step (20) and is marked diverged; the checkpoint on disk is the last good one (20)."""
    spec = build_spec(HEAT | {"training": {"iterations": 40, "log_every": 5, "checkpoint_every": 10,
                                           "points": {"pde": 16, "initial": 8, "boundary": 8}}})
    heat = spec.problem.residuals["pde"]
    calls = []

    def blowup(f, p):
        calls.append(None)
        return heat(f, p) * (math.nan if len(calls) > 23 else 1.0)  # call n+1 is step n

    problem = Problem(spec.problem.domain, spec.problem.fields, {"pde": blowup}, spec.problem.conditions,
                      spec.problem.params, spec.problem.reference)
    checkpoint = tmp_path / "checkpoint.pt"
    with pytest.raises(TrainingDiverged) as caught:
        solve(problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes,
              checkpoint=checkpoint)
    error = caught.value
    assert str(error).startswith("loss term 'pde' became nan at step 23;") and error.step == 23
    result = error.result
    assert result.attrs["status"] == "diverged" and result.attrs["stop_reason"] == str(error)
    assert result.history["step"].tolist() == [5, 10, 15, 20]
    assert all(np.isfinite(v).all() for v in result.solution.values())
    saved = load_checkpoint(checkpoint)["trainer"]
    assert saved["step"] == 20
    assert all(torch.equal(saved["network"][k], torch.from_numpy(v).float()) for k, v in result.model_state.items())


def test_interrupted_run_carries_its_partial_result(tmp_path):
    stop, progress = stop_at(6)
    with pytest.raises(TrainingInterrupted) as caught:
        run(HEAT | {"training": {"iterations": 50, "log_every": 3, "points": {"pde": 16, "initial": 8, "boundary": 8}}},
            stop=stop, progress=progress)
    result = caught.value.result
    assert caught.value.step == 6 and str(caught.value) == "interrupted at step 6"
    assert result.attrs["status"] == "interrupted" and result.attrs["steps"] == 6
    assert result.history["step"].tolist() == [3, 6]


def test_complete_run_is_marked_complete():
    result = run(HEAT | {"training": {"iterations": 2, "points": {"pde": 16, "initial": 8, "boundary": 8}}})
    assert result.attrs["status"] == "complete" and result.attrs["stop_reason"] == ""


# -- what a resume may change ------------------------------------------------------------------

@pytest.mark.parametrize("change, conflict", [
    ({"training": {"iterations": 99}}, None),
    ({"training": {"iterations": 99, "polish": {"iterations": 5}, "clip_grad_norm": 1.0, "checkpoint_every": 7}}, None),
    ({"output": {"dir": "elsewhere"}, "evaluation": {"grid": {"x": 5}}}, None),
    ({"training": {"seed": 4}}, "training.seed"),
    ({"network": {"type": "mlp", "width": 9, "depth": 2}}, "network.width"),
    ({"pde": "u_t - 2*k*u_xx"}, "pde"),
    ({"conditions": HEAT["conditions"][:1]}, "conditions[1].name"),
])
def test_resume_conflict(change, conflict):
    saved = build_spec(HEAT).text
    assert resume_conflict(saved, build_spec(HEAT | change).text) == conflict
