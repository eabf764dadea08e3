"""Result files: save/load round trip, predict() against the stored grid solution, metrics by hand,
atomic replacement."""

import json
import os

import h5py
import numpy as np
import pytest
import torch

from pinnsolve.domain import Domain
from pinnsolve.problem import Dirichlet, Initial, Problem
from pinnsolve.results import Result, load_result
from pinnsolve.solve import solve
from pinnsolve.config import PolishConfig, TrainingConfig


def heat_problem() -> Problem:
    return Problem(Domain(x=(0.0, 1.0), t=(0.0, 0.5)), ["u"], lambda f, p: f.u_t - p.k * f.u_xx,
                   [Initial("u", value=lambda f, p: torch.sin(torch.pi * f.x)), Dirichlet("u", on=["x=0", "x=1"], name="boundary")],
                   params={"k": 0.1},
                   reference=lambda c: {"u": np.exp(-0.1 * np.pi**2 * c["t"]) * np.sin(np.pi * c["x"])},
                   name="tiny-heat")


AXES = {"x": np.linspace(0, 1, 7), "t": np.linspace(0, 0.5, 5)}


@pytest.fixture(scope="module")
def trained() -> Result:
    """A tiny float64 run: the stored grid solution was computed by the float64 network itself."""
    config = TrainingConfig(iterations=15, points={"pde": 64, "initial": 16, "boundary": 16}, log_every=5,
                            seed=3, dtype="float64", polish=PolishConfig(iterations=0))
    return solve(heat_problem(), {"type": "mlp", "width": 8, "depth": 2}, {"type": "adam", "lr": 1e-2},
                 training=config, axes=AXES, spec="name: tiny-heat\n")


@pytest.fixture
def saved(trained, tmp_path):
    return trained.save(tmp_path / "result.h5")


def assert_same_arrays(a: dict, b: dict):
    assert set(a) == set(b)
    for key in a:
        assert np.asarray(b[key]).dtype == np.float64
        assert np.array_equal(np.asarray(a[key], dtype=np.float64), np.asarray(b[key])), key


# -- round trip --------------------------------------------------------------------------------

def test_round_trip_preserves_everything(tmp_path):
    rng = np.random.default_rng(0)
    axes = {"x": np.linspace(-1, 1, 4), "y": np.array([0.0, 0.3, 1.0]), "t": np.linspace(0, 2, 5)}
    shape = (4, 3, 5)
    # A real network's state, so that the loaded result can rebuild it.
    problem = Problem(Domain(x=(-1, 1), y=(0, 1), t=(0, 2)), ["u", "v"], lambda f, p: f.u)
    from pinnsolve.solve import build_model

    torch.manual_seed(0)
    net = build_model(problem, {"type": "mlp", "width": 4, "depth": 1})
    original = Result(
        name="roundtrip", spec="name: roundtrip\nfields: [u, v]\n", axes=axes,
        solution={"u": rng.normal(size=shape), "v": rng.normal(size=shape)},
        reference={"u": rng.normal(size=shape), "v": rng.normal(size=shape)},
        history={"step": np.array([10.0, 20.0]), "total": np.array([1.5, 0.25]), "loss/pde": np.array([1.0, 0.2]),
                 "weight/pde": np.array([1.0, 1.0]), "rel_l2/u": np.array([0.5, np.nan])},
        model_config=dict(net.config),
        model_state={k: v.detach().double().numpy() for k, v in net.state_dict().items()},
        attrs={"seed": 7, "device": "cpu", "dtype": "float32", "wall_time": 1.25, "steps": 20,
               "created": "2024-01-01T00:00:00+00:00", "pinnsolve_version": "0.1.0"},
    )
    path = original.save(tmp_path / "deep" / "folder" / "r.h5")
    assert path == tmp_path / "deep" / "folder" / "r.h5" and path.is_file()
    loaded = load_result(path)

    assert loaded.name == "roundtrip"
    assert loaded.spec == original.spec
    assert list(loaded.axes) == ["x", "y", "t"]  # the variable order survives
    assert_same_arrays(original.axes, loaded.axes)
    assert_same_arrays(original.solution, loaded.solution)
    assert_same_arrays(original.reference, loaded.reference)
    assert_same_arrays(original.error, loaded.error)
    assert set(loaded.history) == set(original.history)
    for key, values in original.history.items():
        assert np.array_equal(values, loaded.history[key], equal_nan=True), key
    assert loaded.model_config == original.model_config
    assert_same_arrays(original.model_state, loaded.model_state)
    assert loaded.attrs == original.attrs
    assert loaded.metrics == original.metrics  # same arrays, same arithmetic
    # The rebuilt network computes what the original computes.
    points = torch.tensor(np.random.default_rng(1).uniform([-1, 0, 0], [1, 1, 2], size=(6, 3)))
    with torch.no_grad():
        assert torch.allclose(loaded.network()(points), net.double()(points), rtol=0, atol=1e-14)


def test_file_layout(saved, trained):
    with h5py.File(saved, "r") as h5:
        assert set(h5) >= {"spec", "grid", "solution", "reference", "error", "metrics", "history", "model"}
        assert set(h5["grid"]) == {"x", "t"}
        assert h5["solution/u"].attrs["axes"] == "x,t"
        assert h5["solution/u"].shape == (7, 5) and h5["solution/u"].dtype == np.float64
        assert h5.attrs["problem"] == "tiny-heat"
        assert set(h5["metrics/u"].attrs) == {"rel_l2", "max_abs"}
        assert {"step", "total", "lr", "time"} <= set(h5["history"])
        assert {"pde", "initial", "boundary"} == set(h5["history/loss"]) == set(h5["history/weight"])
        config = json.loads(h5["model"].attrs["config"])
        assert config["type"] == "mlp" and config["width"] == 8
        assert np.array_equal(h5["error/u"][()], h5["solution/u"][()] - h5["reference/u"][()])


def test_result_without_reference_round_trips(tmp_path, trained):
    bare = Result(name="bare", spec="", axes=trained.axes, solution=trained.solution, reference=None,
                  history={}, model_config=trained.model_config, model_state=trained.model_state)
    loaded = load_result(bare.save(tmp_path / "bare.h5"))
    assert loaded.reference is None and loaded.error is None and loaded.metrics == {}
    assert_same_arrays(trained.solution, loaded.solution)
    with h5py.File(tmp_path / "bare.h5", "r") as h5:
        assert "reference" not in h5 and "error" not in h5 and "metrics" not in h5


# -- predict -----------------------------------------------------------------------------------

def test_predict_on_the_grid_equals_stored_solution(saved, trained):
    loaded = load_result(saved)
    X, T = np.meshgrid(AXES["x"], AXES["t"], indexing="ij")
    prediction = loaded.predict({"x": X, "t": T})
    assert set(prediction) == {"u"}
    assert prediction["u"].shape == (7, 5) and prediction["u"].dtype == np.float64
    assert np.allclose(prediction["u"], loaded.solution["u"], rtol=0, atol=1e-12)
    assert np.allclose(prediction["u"], trained.solution["u"], rtol=0, atol=1e-12)
    # the network was trained: it is not the reference, and not constant
    assert np.ptp(prediction["u"]) > 1e-3


def test_predict_broadcasts_coordinates(saved):
    loaded = load_result(saved)
    x, t = AXES["x"], AXES["t"]
    outer = loaded.predict({"x": x[:, None], "t": t[None, :]})["u"]
    assert outer.shape == (7, 5)
    assert np.allclose(outer, loaded.solution["u"], rtol=0, atol=1e-12)
    column = loaded.predict({"x": x, "t": t[2]})["u"]  # a scalar time against a vector of x
    assert column.shape == (7,)
    assert np.allclose(column, loaded.solution["u"][:, 2], rtol=0, atol=1e-12)
    transposed = loaded.predict({"t": t[:, None], "x": x[None, :]})["u"]  # key order does not matter
    assert np.allclose(transposed, loaded.solution["u"].T, rtol=0, atol=1e-12)
    point = loaded.predict({"x": 0.5, "t": 0.25})["u"]
    assert point.shape == ()


def test_predict_needs_every_variable(saved):
    loaded = load_result(saved)
    with pytest.raises(ValueError, match=r"\bt\b"):
        loaded.predict({"x": AXES["x"]})
    with pytest.raises(ValueError):
        loaded.predict({"x": AXES["x"], "y": AXES["x"]})


# -- metrics -----------------------------------------------------------------------------------

def test_metrics_by_hand(saved, trained):
    X, T = np.meshgrid(AXES["x"], AXES["t"], indexing="ij")
    exact = np.exp(-0.1 * np.pi**2 * T) * np.sin(np.pi * X)
    assert np.allclose(trained.reference["u"], exact, rtol=0, atol=1e-15)
    e = trained.solution["u"] - exact
    rel_l2 = np.sqrt(np.sum(e**2)) / np.sqrt(np.sum(exact**2))
    max_abs = np.max(np.abs(e))
    assert trained.metrics["u"]["rel_l2"] == pytest.approx(rel_l2, rel=1e-12)
    assert trained.metrics["u"]["max_abs"] == pytest.approx(max_abs, rel=1e-12)
    with h5py.File(saved, "r") as h5:
        assert h5["metrics/u"].attrs["rel_l2"] == pytest.approx(rel_l2, rel=1e-12)
        assert h5["metrics/u"].attrs["max_abs"] == pytest.approx(max_abs, rel=1e-12)
    # the last logged rel_l2 of the history is the error of the final network
    assert trained.history["rel_l2/u"][-1] == pytest.approx(rel_l2, rel=1e-9)


def test_metrics_of_known_arrays():
    result = Result(name="m", spec="", axes={"x": np.arange(4.0)}, solution={"u": np.array([1.0, 2.0, 3.0, 4.0])},
                    reference={"u": np.array([1.0, 2.0, 3.0, 2.0])}, history={}, model_config={}, model_state={})
    # error (0, 0, 0, 2): ||e|| = 2, ||ref|| = sqrt(1 + 4 + 9 + 4) = sqrt(18)
    assert set(result.metrics) == {"u"}
    assert result.metrics["u"]["rel_l2"] == pytest.approx(2 / np.sqrt(18), rel=1e-15)
    assert result.metrics["u"]["max_abs"] == 2.0


# -- atomic saving -----------------------------------------------------------------------------

def test_save_leaves_no_temporary_files(trained, tmp_path):
    trained.save(tmp_path / "result.h5")
    trained.save(tmp_path / "result.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.h5"]


def test_save_replaces_existing_file_whole(trained, tmp_path):
    target = tmp_path / "result.h5"
    # an older, different result with an extra field and extra history
    old = Result(name="old", spec="old", axes={"x": np.arange(3.0)}, solution={"u": np.zeros(3), "w": np.ones(3)},
                 reference=None, history={"step": np.arange(9.0), "extra": np.ones(9)},
                 model_config={"type": "mlp"}, model_state={"junk": np.ones(2)}, attrs={"stale": "yes"})
    old.save(target)
    trained.save(target)
    loaded = load_result(target)
    assert loaded.name == "tiny-heat"
    assert set(loaded.solution) == {"u"} and list(loaded.axes) == ["x", "t"]
    assert "extra" not in loaded.history and "stale" not in loaded.attrs and "junk" not in loaded.model_state
    # a file that is not HDF5 at all is replaced too
    target.write_bytes(b"not an hdf5 file")
    trained.save(target)
    assert load_result(target).name == "tiny-heat"


def test_failed_save_keeps_old_file_and_leaves_no_temporary(trained, tmp_path):
    target = tmp_path / "result.h5"
    trained.save(target)
    before = target.read_bytes()
    broken = Result(name="broken", spec="", axes=trained.axes, solution=trained.solution, reference=None,
                    history={}, model_config={}, model_state={}, attrs={"unstorable": object()})
    with pytest.raises(Exception):
        broken.save(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.h5"]


def test_save_writes_to_temporary_then_renames(trained, tmp_path, monkeypatch):
    """The target name only ever appears complete: os.replace moves a finished temporary file over it."""
    target = tmp_path / "result.h5"
    calls = []
    real_replace = os.replace

    def spy(source, destination):
        with h5py.File(source, "r") as h5:  # the temporary is a complete, readable result
            calls.append((str(source), str(destination), h5.attrs["problem"]))
        assert not os.path.exists(destination)
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", spy)
    trained.save(target)
    assert len(calls) == 1
    source, destination, name = calls[0]
    assert destination == str(target) and source != str(target) and os.path.dirname(source) == str(tmp_path)
    assert name == "tiny-heat"
