"""References read from data files: interpolation against closed forms, every malformed file refused
with a clear message, and the YAML `reference: {type: file}` end to end."""

import h5py
import numpy as np
import pytest
import yaml

from pinnsolve.errors import SpecError
from pinnsolve.references import GridReference
from pinnsolve.spec import load_spec

X, T = np.linspace(0, 1, 41), np.linspace(0, 0.5, 21)


def write_npz(path, function, x=X, t=T):
    np.savez(path, x=x, t=t, u=function(*np.meshgrid(x, t, indexing="ij")))
    return path


def random_points(n=500, seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.uniform(0, 1, n), "t": rng.uniform(0, 0.5, n)}


def test_linear_interpolation_is_exact_for_multilinear_data(tmp_path):
    bilinear = lambda x, t: 1 + 2 * x - 3 * t + 4 * x * t  # noqa: E731
    reference = GridReference(write_npz(tmp_path / "r.npz", bilinear), ["x", "t"], ["u"])
    points = random_points()
    assert np.max(np.abs(reference(points)["u"] - bilinear(points["x"], points["t"]))) < 1e-13


def test_linear_error_falls_with_the_square_of_the_spacing(tmp_path):
    smooth = lambda x, t: np.sin(np.pi * x) * np.exp(-t)  # noqa: E731
    points = random_points()
    errors = []
    for n in (21, 41):
        path = write_npz(tmp_path / f"r{n}.npz", smooth, x=np.linspace(0, 1, n), t=np.linspace(0, 0.5, n))
        errors.append(np.max(np.abs(GridReference(path, ["x", "t"], ["u"])(points)["u"] - smooth(points["x"], points["t"]))))
    assert 3 < errors[0] / errors[1] < 5


def test_linear_error_follows_the_h_squared_bound(tmp_path):
    """|e| <= h²/8 max|f''| per axis for linear interpolation: here (1/40)² π²/8 ≈ 7.7e-4."""
    smooth = lambda x, t: np.sin(np.pi * x) * np.exp(-t)  # noqa: E731
    reference = GridReference(write_npz(tmp_path / "r.npz", smooth), ["x", "t"], ["u"])
    points = random_points()
    error = np.max(np.abs(reference(points)["u"] - smooth(points["x"], points["t"])))
    assert 1e-5 < error <= (1 / 40) ** 2 * np.pi**2 / 8 + (0.5 / 20) ** 2 / 8


def test_hdf5_file_gives_the_same_values(tmp_path):
    values = np.random.default_rng(1).normal(size=(len(X), len(T)))
    np.savez(tmp_path / "r.npz", x=X, t=T, u=values)
    with h5py.File(tmp_path / "r.h5", "w") as h5:
        h5["x"], h5["t"], h5["u"] = X, T, values
    points = random_points()
    from_npz = GridReference(tmp_path / "r.npz", ["x", "t"], ["u"])(points)["u"]
    assert np.array_equal(GridReference(tmp_path / "r.h5", ["x", "t"], ["u"])(points)["u"], from_npz)


def test_grid_nodes_are_reproduced_and_shapes_broadcast(tmp_path):
    values = np.random.default_rng(2).normal(size=(len(X), len(T)))
    np.savez(tmp_path / "r.npz", x=X, t=T, u=values)
    reference = GridReference(tmp_path / "r.npz", ["x", "t"], ["u"])
    out = reference({"x": X[:, None], "t": T[None, :]})["u"]
    assert out.shape == values.shape and np.max(np.abs(out - values)) < 1e-15


@pytest.mark.parametrize("arrays, message", [
    ({"x": X, "u": np.zeros((41, 21))}, r"r.npz has no array 't'; it needs one per variable and field \(x, t, u\)"),
    ({"x": X[::-1], "t": T, "u": np.zeros((41, 21))}, "array 'x' must be a strictly increasing 1-D axis"),
    ({"x": X, "t": np.zeros((21, 2)), "u": np.zeros((41, 21))}, "array 't' must be a strictly increasing"),
    ({"x": X, "t": T, "u": np.zeros((21, 41))}, r"array 'u' has shape \(21, 41\); expected \(41, 21\)"),
    ({"x": X, "t": T, "u": np.full((41, 21), np.nan)}, "array 'u' holds NaN or infinite values"),
])
def test_malformed_files_are_refused(tmp_path, arrays, message):
    np.savez(tmp_path / "r.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        GridReference(tmp_path / "r.npz", ["x", "t"], ["u"])


def test_unreadable_files_are_refused(tmp_path):
    (tmp_path / "r.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match=r"cannot read 'r.h5' as a .h5 file of numeric arrays"):
        GridReference(tmp_path / "r.h5", ["x"], ["u"])
    np.savez(tmp_path / "r.npz", x=np.array([object()], dtype=object))  # pickled objects are never loaded
    with pytest.raises(ValueError, match="cannot read 'r.npz'"):
        GridReference(tmp_path / "r.npz", ["x"], ["u"])


# -- through the YAML spec ---------------------------------------------------------------------

HEAT = {
    "variables": {"x": [0, 1], "t": [0, 0.5]}, "fields": ["u"], "params": {"k": 0.1}, "pde": "u_t - k*u_xx",
    "conditions": [{"type": "initial", "value": "sin(pi*x)"},
                   {"type": "dirichlet", "on": ["x=0", "x=1"], "value": 0, "name": "boundary"}],
}
EXACT = lambda x, t: np.exp(-0.1 * np.pi**2 * t) * np.sin(np.pi * x)  # noqa: E731


def spec_file(tmp_path, reference, **sections):
    path = tmp_path / "case" / "spec.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(HEAT | {"reference": reference} | sections, sort_keys=False))
    return path


def test_file_path_is_relative_to_the_spec_and_its_grid_is_the_default(tmp_path, monkeypatch):
    (tmp_path / "case").mkdir()
    wide_x = np.linspace(-1, 1, 81)  # reaches beyond the domain: only the part inside is evaluated
    write_npz(tmp_path / "case" / "ref.npz", EXACT, x=wide_x)
    monkeypatch.chdir(tmp_path)  # not the spec's folder
    spec = load_spec(spec_file(tmp_path, {"type": "file", "path": "ref.npz"}))
    assert np.array_equal(spec.axes["x"], wide_x[40:]) and np.array_equal(spec.axes["t"], T)
    values = spec.problem.reference({"x": spec.axes["x"][:, None], "t": spec.axes["t"][None, :]})["u"]
    assert np.max(np.abs(values - EXACT(spec.axes["x"][:, None], spec.axes["t"][None, :]))) < 1e-15
    assert yaml.safe_load(spec.text)["reference"]["path"] == str((tmp_path / "case" / "ref.npz").resolve())


def test_explicit_grid_is_interpolated_and_must_stay_inside(tmp_path):
    (tmp_path / "case").mkdir()
    write_npz(tmp_path / "case" / "ref.npz", EXACT, t=np.linspace(0, 0.4, 17))
    reference = {"type": "file", "path": "ref.npz"}
    spec = load_spec(spec_file(tmp_path, reference, evaluation={"grid": {"x": 7, "t": [0, 0.4, 5]}}))
    assert np.array_equal(spec.axes["x"], np.linspace(0, 1, 7))
    with pytest.raises(SpecError) as caught:
        load_spec(spec_file(tmp_path, reference, evaluation={"grid": {"t": 9}}))
    assert str(caught.value) == ("line 27: evaluation.grid.t: reaches outside the reference file's grid [0, 0.4]; "
                                 "give [start, stop, count] inside it, or leave it out")


def test_file_reference_scores_a_run_like_the_analytic_one(tmp_path):
    from pinnsolve.solve import solve

    (tmp_path / "case").mkdir()
    write_npz(tmp_path / "case" / "ref.npz", EXACT)
    training = {"iterations": 20, "points": {"pde": 32, "initial": 8, "boundary": 8}}
    network = {"type": "mlp", "width": 8, "depth": 2}
    results = []
    for reference in ({"type": "file", "path": "ref.npz"},
                      {"type": "expression", "u": "exp(-k*pi**2*t)*sin(pi*x)"}):
        spec = load_spec(spec_file(tmp_path, reference, training=training, network=network,
                                   evaluation={"grid": {"x": 41, "t": 21}}))
        results.append(solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes))
    from_file, analytic = (r.metrics["u"]["rel_l2"] for r in results)
    assert abs(from_file - analytic) < 1e-12 * analytic
