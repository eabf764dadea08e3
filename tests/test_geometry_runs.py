"""Short runs on shaped domains: the evaluation grid covers the bounding box, points outside the
domain hold NaN and a mask says which are inside, metrics use the inside points only, and the mask
survives the result file; a box problem has no mask."""

import struct
import warnings

import h5py
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from pinnsolve.cli import app
from pinnsolve.config import PolishConfig, TrainingConfig
from pinnsolve.domain import Domain
from pinnsolve.geometry import Ball, Box, Difference
from pinnsolve.plots import save_plots
from pinnsolve.problem import Dirichlet, Initial, Problem
from pinnsolve.results import load_result
from pinnsolve.solve import solve

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NETWORK = {"type": "mlp", "width": 8, "depth": 2}
OPTIMIZER = {"type": "adam", "lr": 1e-2}
DISK_AXES = {"x": np.linspace(-1, 1, 9), "y": np.linspace(-1, 1, 7)}
# a disk of radius 0.8 centred at (0.2, 0), times t in [0, 1]: the grid spans its bounding box
CYLINDER_AXES = {"x": np.linspace(-0.6, 1.0, 6), "y": np.linspace(-0.8, 0.8, 5), "t": np.linspace(0, 1, 3)}


def config(**points):
    return TrainingConfig(iterations=20, points=points, log_every=10, seed=0, dtype="float64",
                          polish=PolishConfig(iterations=0))


def poisson_disk() -> Problem:
    return Problem(Domain(Ball([0, 0], 1), ("x", "y")), ["u"], lambda f, p: f.u_xx + f.u_yy + 1,
                   [Dirichlet("u", on="boundary")], reference=lambda c: {"u": (1 - c["x"] ** 2 - c["y"] ** 2) / 4},
                   name="poisson-disk")


def heat_cylinder() -> Problem:
    # The reference is undefined (sqrt of a negative number) outside the disk: its warnings must
    # not escape, and its values there are replaced by NaN anyway. (The 1e-9 keeps it defined on
    # the circle, where rounding may leave the radicand a hair below zero.)
    domain = Domain(Ball([0.2, 0], 0.8), ("x", "y"), t=(0, 1))
    return Problem(domain, ["u"], lambda f, p: f.u_t - 0.1 * (f.u_xx + f.u_yy),
                   [Initial("u", value=lambda f, p: torch.cos(f.x)), Dirichlet("u", on="disk", name="rim")],
                   reference=lambda c: {"u": np.sqrt(0.64 + 1e-9 - (c["x"] - 0.2) ** 2 - c["y"] ** 2)
                                        * np.exp(-c["t"])},
                   name="heat-cylinder")


@pytest.fixture(scope="module")
def disk():
    return solve(poisson_disk(), NETWORK, OPTIMIZER, training=config(pde=64, dirichlet=32), axes=DISK_AXES,
                 spec="name: poisson-disk\n")


@pytest.fixture(scope="module")
def cylinder():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return solve(heat_cylinder(), NETWORK, OPTIMIZER, training=config(pde=64, initial=16, rim=16),
                     axes=CYLINDER_AXES)


def inside_disk(axes, center=(0.0, 0.0), radius=1.0, times=None):
    x, y = np.meshgrid(axes["x"], axes["y"], indexing="ij")
    inside = (x - center[0]) ** 2 + (y - center[1]) ** 2 <= radius ** 2 + 1e-12
    return inside if times is None else np.repeat(inside[:, :, None], times, axis=2)


# -- the mask and the NaN outside it -----------------------------------------------------------

def test_the_mask_is_grid_shaped_and_marks_the_points_in_the_disk(disk):
    assert disk.attrs["status"] == "complete" and disk.attrs["steps"] == 20
    assert disk.mask.dtype == bool and disk.mask.shape == (9, 7)
    np.testing.assert_array_equal(disk.mask, inside_disk(DISK_AXES))
    assert 0 < disk.mask.sum() < disk.mask.size
    assert disk.mask[4, 3] and disk.mask[0, 3] and not disk.mask[0, 0]  # centre, (-1, 0) on the circle, a corner


def test_values_are_nan_exactly_outside_the_mask(disk):
    for arrays in (disk.solution, disk.reference, disk.error):
        assert arrays["u"].shape == (9, 7)
        np.testing.assert_array_equal(np.isnan(arrays["u"]), ~disk.mask)


def test_inside_values_are_the_network_and_the_reference(disk):
    x, y = np.meshgrid(DISK_AXES["x"], DISK_AXES["y"], indexing="ij")
    np.testing.assert_allclose(disk.reference["u"][disk.mask], ((1 - x ** 2 - y ** 2) / 4)[disk.mask], rtol=1e-15)
    predicted = disk.predict({"x": x, "y": y})["u"]
    np.testing.assert_allclose(disk.solution["u"][disk.mask], predicted[disk.mask], rtol=0, atol=1e-12)
    assert np.isfinite(predicted).all()  # the network itself is defined on the whole box


def test_metrics_use_the_inside_points_only(disk):
    metrics = disk.metrics["u"]
    assert np.isfinite(metrics["rel_l2"]) and np.isfinite(metrics["max_abs"])
    solution, reference = disk.solution["u"][disk.mask], disk.reference["u"][disk.mask]
    rel_l2 = np.linalg.norm(solution - reference) / np.linalg.norm(reference)
    assert metrics["rel_l2"] == pytest.approx(rel_l2, rel=1e-12)
    assert metrics["max_abs"] == pytest.approx(np.max(np.abs(solution - reference)), rel=1e-12)


def test_the_error_history_is_finite(disk):
    assert np.isfinite(disk.history["rel_l2/u"]).all()
    assert np.isfinite(disk.history["loss/dirichlet"]).all()


def test_a_disk_in_time_masks_the_same_disk_at_every_time(cylinder):
    assert cylinder.mask.shape == (6, 5, 3)
    np.testing.assert_array_equal(cylinder.mask, inside_disk(CYLINDER_AXES, (0.2, 0.0), 0.8, times=3))
    for arrays in (cylinder.solution, cylinder.reference, cylinder.error):
        np.testing.assert_array_equal(np.isnan(arrays["u"]), ~cylinder.mask)
    solution, reference = cylinder.solution["u"][cylinder.mask], cylinder.reference["u"][cylinder.mask]
    assert cylinder.metrics["u"]["rel_l2"] == pytest.approx(
        np.linalg.norm(solution - reference) / np.linalg.norm(reference), rel=1e-12)
    assert cylinder.metrics["u"]["max_abs"] == pytest.approx(np.max(np.abs(solution - reference)), rel=1e-12)
    assert set(cylinder.history) >= {"loss/pde", "loss/initial", "loss/rim", "rel_l2/u"}


def test_a_grid_wholly_inside_the_geometry_has_no_mask(tmp_path):
    inner = {"x": np.linspace(-0.5, 0.5, 4), "y": np.linspace(-0.5, 0.5, 3)}
    result = solve(poisson_disk(), NETWORK, OPTIMIZER, training=config(pde=32, dirichlet=16), axes=inner)
    assert result.mask is None
    assert not np.isnan(result.solution["u"]).any()
    with h5py.File(result.save(tmp_path / "inner.h5"), "r") as h5:
        assert "mask" not in h5


def test_a_resumed_run_on_a_disk_in_time_is_the_uninterrupted_run(tmp_path):
    # Resampling every 3 steps draws from every stream, the boundary's time stream included.
    def training(iterations):
        return TrainingConfig(iterations=iterations, points={"pde": 32, "initial": 8, "rim": 8}, log_every=5, seed=1,
                              dtype="float64", resample_every=3, checkpoint_every=0, polish=PolishConfig(iterations=0))

    whole = solve(heat_cylinder(), NETWORK, OPTIMIZER, training=training(12), axes=CYLINDER_AXES)
    checkpoint = tmp_path / "checkpoint.pt"
    solve(heat_cylinder(), NETWORK, OPTIMIZER, training=training(7), axes=CYLINDER_AXES, checkpoint=checkpoint)
    resumed = solve(heat_cylinder(), NETWORK, OPTIMIZER, training=training(12), axes=CYLINDER_AXES,
                    checkpoint=checkpoint, resume=True)
    np.testing.assert_array_equal(resumed.solution["u"], whole.solution["u"])
    np.testing.assert_array_equal(resumed.mask, whole.mask)


# -- the result file and the plots -------------------------------------------------------------

def test_the_file_stores_the_mask_and_the_nan(disk, tmp_path):
    path = disk.save(tmp_path / "result.h5")
    with h5py.File(path, "r") as h5:
        assert h5["mask"].dtype == np.uint8 and h5["mask"].shape == (9, 7)
        assert h5["mask"].attrs["axes"] == "x,y"
        np.testing.assert_array_equal(h5["mask"][()], disk.mask.astype(np.uint8))
        np.testing.assert_array_equal(np.isnan(h5["solution/u"][()]), ~disk.mask)
        assert h5["metrics/u"].attrs["rel_l2"] == disk.metrics["u"]["rel_l2"]
        assert h5["metrics/u"].attrs["max_abs"] == disk.metrics["u"]["max_abs"]


@pytest.mark.parametrize("name", ["disk", "cylinder"])
def test_save_and_load_keep_the_mask_and_the_values(name, request, tmp_path):
    result = request.getfixturevalue(name)
    loaded = load_result(result.save(tmp_path / "result.h5"))
    assert loaded.mask.dtype == bool
    np.testing.assert_array_equal(loaded.mask, result.mask)
    for group in ("solution", "reference", "error"):
        np.testing.assert_array_equal(getattr(loaded, group)["u"], getattr(result, group)["u"])  # NaN where NaN
    assert loaded.metrics == result.metrics
    assert list(loaded.axes) == list(result.axes)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", ["disk", "cylinder"])
def test_plots_of_a_shaped_domain(name, request, tmp_path):
    result = request.getfixturevalue(name)
    written = save_plots(result, tmp_path)
    assert tmp_path / "solution.png" in written and tmp_path / "history.png" in written
    width, height = png_size(tmp_path / "solution.png")
    assert width > 200 and height > 150


def test_a_box_problem_has_no_mask(tmp_path):
    problem = Problem(Domain(x=(-1, 1), y=(-1, 1)), ["u"], lambda f, p: f.u_xx + f.u_yy + 1,
                      [Dirichlet("u", on=["x=min", "x=max", "y=min", "y=max"], name="walls")],
                      reference=lambda c: {"u": (1 - c["x"] ** 2) / 2}, name="box")
    result = solve(problem, NETWORK, OPTIMIZER, training=config(pde=32, walls=16), axes=DISK_AXES)
    assert result.mask is None
    assert not np.isnan(result.solution["u"]).any() and not np.isnan(result.error["u"]).any()
    path = result.save(tmp_path / "box.h5")
    with h5py.File(path, "r") as h5:
        assert "mask" not in h5
    loaded = load_result(path)
    assert loaded.mask is None and loaded.metrics == result.metrics
    assert (tmp_path / "solution.png") in save_plots(loaded, tmp_path)


def test_a_box_shape_fills_its_grid_and_a_hole_does_not():
    box = Problem(Domain(Box([-1, -1], [1, 1]), ("x", "y")), ["u"], lambda f, p: f.u_xx + f.u_yy + 1,
                  [Dirichlet("u", on="box")])
    assert solve(box, NETWORK, OPTIMIZER, training=config(pde=16, dirichlet=8), axes=DISK_AXES).mask is None
    shape = Difference(Box([-1, -1], [1, 1], name="plate"), Ball([0, 0], 0.4, name="hole"))
    plate = Problem(Domain(shape, ("x", "y")), ["u"], lambda f, p: f.u_xx + f.u_yy, [Dirichlet("u", on="boundary")])
    result = solve(plate, NETWORK, OPTIMIZER, training=config(pde=16, dirichlet=8), axes=DISK_AXES)
    x, y = np.meshgrid(DISK_AXES["x"], DISK_AXES["y"], indexing="ij")
    np.testing.assert_array_equal(result.mask, x ** 2 + y ** 2 >= 0.16 - 1e-12)
    assert result.mask[0, 0] and not result.mask[4, 3]  # a corner of the plate; the hole's centre
    assert result.mask.sum() == result.mask.size - 5  # (0, 0), (±0.25, 0), (0, ±1/3)
    np.testing.assert_array_equal(np.isnan(result.solution["u"]), ~result.mask)


# -- the command line --------------------------------------------------------------------------

def test_run_a_geometry_spec_from_the_command_line(tmp_path):
    spec = tmp_path / "disk.yaml"
    spec.write_text("""\
name: quarter_disk
geometry:
  variables: [x, y]
  intersection:
    - disk: {center: [0, 0], radius: 1, name: arc}
    - box: {min: [0, 0], max: [1, 1], name: sides}
fields: [u]
pde: "u_xx + u_yy + 1"
conditions:
  - {type: dirichlet, on: arc, value: 0}
  - {type: robin, on: sides, a: 1, b: "1 + x", value: "x*y"}
reference: {type: expression, u: "(1 - x**2 - y**2)/4"}
network: {type: mlp, width: 8, depth: 2}
training: {iterations: 10, log_every: 5, points: {pde: 64, dirichlet: 16, robin: 16}}
evaluation: {grid: {x: 11, y: 11}}
""")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    loaded = load_result(out / "result.h5")
    x, y = np.meshgrid(np.linspace(0, 1, 11), np.linspace(0, 1, 11), indexing="ij")
    np.testing.assert_array_equal(loaded.mask, x ** 2 + y ** 2 <= 1 + 1e-12)
    np.testing.assert_array_equal(np.isnan(loaded.solution["u"]), ~loaded.mask)
    assert np.isfinite(loaded.metrics["u"]["rel_l2"])
    assert png_size(out / "solution.png")[0] > 200
