"""How the training step computes derivatives: the engine each point set gets, the same training
with either engine, and the compiled step (no recompiles as points are redrawn; eager when the
compiler fails)."""

import warnings

import numpy as np
import pytest
import torch

from pinnsolve import Dirichlet, Domain, Initial, Problem, TrainingConfig, solve
from pinnsolve import objective as objective_module
from pinnsolve.objective import Objective
from pinnsolve.solve import build_model
from pinnsolve.spec import build_spec
from pinnsolve.weighting import GradNormAnnealing

HEAT = {"variables": {"x": [0, 1], "t": [0, 0.5]}, "fields": ["u"], "params": {"k": 0.1},
        "pde": "u_t - k*u_xx",
        "conditions": [{"type": "initial", "value": "sin(pi*x)"},
                       {"type": "dirichlet", "on": ["x=0", "x=1"], "value": 0, "name": "boundary"}],
        "network": {"type": "mlp", "width": 8, "depth": 2}, "optimizer": {"type": "adam", "lr": 1e-2},
        "evaluation": {"grid": {"x": 11, "t": 5}}}


def heat(**training):
    options = {"iterations": 30, "points": {"pde": 64, "initial": 16, "boundary": 16}, "log_every": 10,
               "resample_every": 5, "dtype": "float64"} | training
    return build_spec(HEAT | {"training": options})


def run(spec, weighting=None):
    return solve(spec.problem, spec.network, spec.optimizer, weighting or spec.weighting, spec.training, spec.axes)


def test_each_point_set_gets_the_engine_its_terms_allow():
    spec = heat()
    network = build_model(spec.problem, spec.network)
    engines = Objective(spec.problem, network).engines
    assert set(engines) == {"pde", "initial", "boundary"} and all(e is not None for e in engines.values())
    assert all(e is None for e in Objective(spec.problem, network, derivatives="autograd").engines.values())
    # a Python residual that does not say what it reads: nested autograd
    python = Problem(Domain(x=(0.0, 1.0), t=(0.0, 1.0)), ["u"], lambda f, p: f.u_t - f.u_xx,
                     [Initial("u", value=0.0), Dirichlet("u", on=["x=0", "x=1"])])
    engines = Objective(python, build_model(python, {"width": 4, "depth": 1})).engines
    assert engines["pde"] is None and engines["initial"] is not None


def test_forward_mode_and_nested_autograd_train_alike():
    forward, nested = run(heat()), run(heat(derivatives="autograd"))
    for name in ("loss/pde", "loss/initial", "loss/boundary"):
        np.testing.assert_allclose(forward.history[name], nested.history[name], rtol=1e-9)
    np.testing.assert_allclose(forward.solution["u"], nested.solution["u"], rtol=1e-9, atol=1e-12)


def test_the_compiled_step_trains_alike_without_recompiling_as_points_are_redrawn():
    from torch._dynamo.utils import counters

    eager = run(heat(iterations=12))
    before = counters["stats"]["unique_graphs"]
    compiled = run(heat(iterations=12, compile=True))
    # one graph for the interior, one that the initial and boundary sets share (16 points each, values
    # only), however often the points were redrawn
    assert counters["stats"]["unique_graphs"] - before == 2
    for name in ("loss/pde", "loss/initial", "loss/boundary"):
        np.testing.assert_allclose(compiled.history[name], eager.history[name], rtol=1e-9)
    # per-term gradients of the compiled graph, as gradient-norm annealing takes them
    run(heat(iterations=3, compile=True), GradNormAnnealing())


def test_a_compiler_failure_falls_back_to_the_eager_step(monkeypatch):
    def broken(function):
        def call(*args):
            raise RuntimeError("no C++ compiler\nsecond line")
        return call

    monkeypatch.setattr(objective_module.torch, "compile", broken)
    with pytest.warns(RuntimeWarning, match=r"torch.compile failed \(RuntimeError: no C\+\+ compiler\)"):
        result = run(heat(iterations=5, compile=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = run(heat(iterations=5))
    np.testing.assert_array_equal(result.history["loss/pde"], expected.history["loss/pde"])
    assert torch.compile is broken


def test_many_engines_in_one_process_all_stay_compiled():
    """Every engine runs the same Python code: more graphs than torch's default recompile limit (8)
    still compile, rather than running uncompiled past it."""
    from torch._dynamo.utils import counters

    from pinnsolve.objective import compiled
    from pinnsolve.taylor import forward_engine

    spec = heat()
    network = build_model(spec.problem, {"width": 2, "depth": 1}).double()
    reads = [{"u"}, {"u_x"}, {"u_t"}, {"u_xx"}, {"u_tt"}, {"u_xt"}, {"u_x", "u_t"}, {"u_xx", "u_t"},
             {"u_xx", "u_tt"}, {"u_xx+u_tt"}]
    before = counters["stats"]["unique_graphs"]
    points = torch.rand(5, 2, dtype=torch.float64)
    for read in reads:
        engine = forward_engine(network, read, ["u"], ["x", "t"])
        outputs = compiled(engine)(points)
        for key, value in engine(points).items():
            torch.testing.assert_close(outputs[key], value, rtol=1e-12, atol=1e-12)
    assert counters["stats"]["unique_graphs"] - before == len(reads)
