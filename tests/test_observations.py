"""Observations: the data term's misfit, reading observation files, drawing synthetic observations
from a reference, and the ``type: data`` spec entries with their errors."""

import h5py
import numpy as np
import pytest
import torch

from pinnsolve import Dirichlet, Domain, Problem
from pinnsolve.derivatives import Fields
from pinnsolve.errors import SpecError
from pinnsolve.objective import Objective
from pinnsolve.observations import Observations, read_observations, synthetic_observations
from pinnsolve.spec import build_spec
from pinnsolve.terms import PointSet

DOMAIN = Domain(x=(0.0, 1.0), t=(0.0, 2.0))


class Affine(torch.nn.Module):
    """u = 2x + 3t, v = -t: outputs known by hand at any point."""

    def forward(self, points):
        x, t = points[:, 0], points[:, 1]
        return torch.stack([2 * x + 3 * t, -t], dim=1)


def test_the_loss_is_the_mean_square_misfit_over_every_observed_field():
    points = np.array([[0.5, 1.0], [0.0, 2.0]])
    term = Observations(points, {"u": [4.0, 6.5], "v": [-1.0, 0.0]}, name="sensors")
    problem = Problem(DOMAIN, ["u", "v"], lambda f, p: f.u_t, terms=[term])
    objective = Objective(problem, Affine().double())
    batch = term.where.sample(None, DOMAIN, 0).map(torch.from_numpy)
    losses = objective.losses({"pde": PointSet(torch.zeros(1, 2, dtype=torch.float64)), "sensors": batch})
    # u there: 4, 6; v: -1, -2 -> misfits 0, -0.5, 0, -2 -> mean square (0.25 + 4) / 4
    assert losses["sensors"].item() == pytest.approx(4.25 / 4, rel=1e-15)
    assert term.reads == {"u", "v"} and term.point_set == "sensors"


@pytest.mark.parametrize("points, values, message", [
    (np.zeros((0, 2)), {"u": []}, "points must be an (n, d) array"),
    ([[0.1, np.nan]], {"u": [1.0]}, "the point at index 0 has NaN"),
    ([[0.1, 0.2]], {}, "at least one field"),
    ([[0.1, 0.2], [0.3, 0.4]], {"u": [1.0]}, "values of 'u' have shape (1,); expected (2,)"),
    ([[0.1, 0.2], [0.3, 0.4]], {"u": [1.0, np.inf]}, "value of 'u' at index 1 is NaN or infinite"),
])
def test_bad_observations_are_refused(points, values, message):
    with pytest.raises(ValueError, match=None) as caught:
        Observations(points, values)
    assert message in str(caught.value)


def test_the_problem_refuses_observations_outside_the_domain_or_of_unknown_fields():
    with pytest.raises(SpecError, match=r"terms\[0\]: 1 of 2 observations lie outside the domain, the first at "
                                        r"index 1: t = 2.5 is not in \[0, 2\]"):
        Problem(DOMAIN, ["u"], lambda f, p: f.u_t, terms=[Observations([[0, 0], [1, 2.5]], {"u": [0, 0]})])
    with pytest.raises(SpecError, match=r"terms\[0\]: unknown field 'w'"):
        Problem(DOMAIN, ["u"], lambda f, p: f.u_t, terms=[Observations([[0, 0]], {"w": [0]})])


# -- files ---------------------------------------------------------------------------------------

POINTS = np.array([[0.1, 0.5], [0.9, 1.5], [0.4, 0.0]])
U = np.array([1.0, -2.0, 0.25])


def write(path, columns):
    if path.suffix == ".csv":
        names = list(columns)
        rows = zip(*(columns[n] for n in names))
        path.write_text(",".join(names) + "\n" + "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows))
    elif path.suffix == ".npz":
        np.savez(path, **columns)
    else:
        with h5py.File(path, "w") as h5:
            for name, values in columns.items():
                h5[name] = values
    return path


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".h5"])
def test_each_file_format_reads_back_exactly(tmp_path, suffix):
    path = write(tmp_path / f"obs{suffix}", {"t": POINTS[:, 1], "u": U, "x": POINTS[:, 0]})  # any column order
    points, values = read_observations(path, ["x", "t"], ["u", "v"])
    assert np.array_equal(points, POINTS) and list(values) == ["u"] and np.array_equal(values["u"], U)


@pytest.mark.parametrize("columns, observed, message", [
    ({"x": [0.1], "t": [0.2], "u": [1.0], "w": [3.0]}, None, "column 'w' is neither a variable (x, t) nor a field (u, v)"),
    ({"x": [0.1], "u": [1.0]}, None, "has no column 't'"),
    ({"x": [0.1], "t": [0.2], "u": [1.0]}, ["v"], "has no column 'v'"),
    ({"x": [0.1, 0.2], "t": [0.2], "u": [1.0, 2.0]}, None, "columns have different lengths [1, 2]"),
])
def test_bad_columns_are_refused(tmp_path, columns, observed, message):
    path = write(tmp_path / "obs.npz", {k: np.asarray(v) for k, v in columns.items()})
    with pytest.raises(ValueError) as caught:
        read_observations(path, ["x", "t"], ["u", "v"], observed)
    assert message in str(caught.value)


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("x,t,u\n0.1,0.2\n", "line 2 has 2 values; the header has 3"),
    ("x,t,u\n0.1,0.2,abc\n", "line 2, column 'u': 'abc' is not a number"),
    ("x,x,u\n0.1,0.2,1\n", "the header names a column twice"),
])
def test_malformed_csv_files_are_refused_with_the_line(tmp_path, text, message):
    path = tmp_path / "obs.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as caught:
        read_observations(path, ["x", "t"], ["u"])
    assert message in str(caught.value)


# -- synthetic observations -------------------------------------------------------------------------

def exact(c):
    return {"u": np.sin(np.pi * c["x"]) * np.exp(-c["t"]), "v": 2 + 0 * c["x"]}


def test_synthetic_observations_are_the_reference_inside_the_domain_and_reproducible():
    points, values = synthetic_observations(exact, DOMAIN, ["u"], 500, "halton", seed=3)
    assert points.shape == (500, 2) and np.all((points >= 0) & (points <= [1, 2]))
    assert np.array_equal(values["u"], exact({"x": points[:, 0], "t": points[:, 1]})["u"])
    again, _ = synthetic_observations(exact, DOMAIN, ["u"], 500, "halton", seed=3)
    other, _ = synthetic_observations(exact, DOMAIN, ["u"], 500, "halton", seed=4)
    assert np.array_equal(points, again) and not np.array_equal(points, other)


def test_noise_is_gaussian_with_the_relative_level_times_the_spread_of_the_values():
    points, noisy = synthetic_observations(exact, DOMAIN, ["u"], 20000, "uniform", noise=0.05, seed=1)
    clean = exact({"x": points[:, 0], "t": points[:, 1]})["u"]
    deviation = (noisy["u"] - clean) / (0.05 * np.std(clean))
    # mean 0 and variance 1 within 5 standard errors for 20,000 draws
    assert abs(deviation.mean()) < 5 / np.sqrt(20000) and abs(deviation.var() - 1) < 5 * np.sqrt(2 / 20000)
    # a constant field has no spread: noise relative to it adds nothing
    _, constant = synthetic_observations(exact, DOMAIN, ["v"], 10, noise=0.5)
    assert np.array_equal(constant["v"], np.full(10, 2.0))


# -- YAML ------------------------------------------------------------------------------------------

DOCUMENT = {"variables": {"x": [0, 1], "t": [0, 2]}, "fields": ["u", "v"], "pde": ["u_t + u", "v_t"],
            "reference": {"type": "expression", "u": "sin(pi*x)*exp(-t)", "v": "2"}}


def test_data_entries_from_a_file_and_from_the_reference(tmp_path):
    write(tmp_path / "obs.csv", {"x": POINTS[:, 0], "t": POINTS[:, 1], "u": U, "v": -U})
    document = DOCUMENT | {"conditions": [
        {"type": "data", "file": "obs.csv", "field": "v"},
        {"type": "data", "from": "reference", "count": 64, "noise": 0.01, "seed": 2},
        {"type": "dirichlet", "on": "x=0", "field": "u", "value": 0},
        {"type": "data", "from": "reference", "count": 8, "fields": ["u"], "name": "probe"}]}
    problem = build_spec(document, folder=tmp_path).problem
    assert problem.term_names == ["pde1", "pde2", "dirichlet", "data_1", "data_2", "probe"]
    first, second, probe = problem.terms[3:]
    assert first.fields == ("v",) and np.array_equal(first.where.data["v"][:, 0], -U)
    assert second.fields == ("u", "v") and len(second.where.points) == 64 and probe.fields == ("u",)
    expected = synthetic_observations(problem.reference, problem.domain, ["u", "v"], 64, noise=0.01, seed=2)
    assert np.array_equal(second.where.points, expected[0])
    assert np.array_equal(second.where.data["u"][:, 0], expected[1]["u"])


def test_a_data_term_clashing_with_a_condition_name_is_reported_at_its_entry():
    document = DOCUMENT | {"conditions": [{"type": "dirichlet", "on": "x=0", "field": "u", "name": "data"},
                                          {"type": "data", "from": "reference", "count": 4}]}
    with pytest.raises(SpecError, match=r"^conditions\[1\]\.name: term name 'data' is used twice"):
        build_spec(document)


def test_observed_points_go_into_training_unsampled():
    document = DOCUMENT | {"conditions": [{"type": "data", "from": "reference", "count": 16}],
                           "training": {"points": {"pde": 32}}}
    spec = build_spec(document)
    with pytest.raises(SpecError, match="training.points: expected one of: pde; got 'data'"):
        build_spec(document | {"training": {"points": {"data": 5}}})
    assert spec.problem.point_sets["data"].sampled is False


def test_a_single_unnamed_data_entry_is_called_data_whatever_other_entries_are_named():
    document = DOCUMENT | {"conditions": [{"type": "data", "from": "reference", "count": 4, "name": "probe"},
                                          {"type": "data", "from": "reference", "count": 4}]}
    assert build_spec(document).problem.term_names == ["pde1", "pde2", "probe", "data"]
