"""The command line as scripts and other tools use it: KEY=VALUE overrides, JSON output, output
that is never wrapped in a pipe, warm starts from another result, and export to VTK, CSV, npz."""

import csv
import json
import subprocess
import sys

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from pinnsolve.cli import app
from pinnsolve.results import load_result

runner = CliRunner()
TINY = """\
name: tiny
variables: {x: [0, 1], t: [0, 0.5]}
fields: [u]
params: {k: 0.1}
pde: "u_t - k*u_xx"
conditions:
  - {type: initial, value: "sin(pi*x)"}
  - {type: dirichlet, on: ["x=0", "x=1"], value: 0, name: boundary}
reference: {type: expression, u: "exp(-k*pi**2*t)*sin(pi*x)"}
network: {type: mlp, width: 8, depth: 2}
optimizer: {type: adam, lr: 0.01}
training: {iterations: 30, log_every: 10, points: {pde: 64, initial: 16, boundary: 16}, dtype: float64}
evaluation: {grid: {x: 11, t: [0, 0.5, 6]}}
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    work = tmp_path_factory.mktemp("tools")
    (work / "tiny.yaml").write_text(TINY)
    result = runner.invoke(app, ["run", str(work / "tiny.yaml"), "--out", str(work / "first"), "--quiet"])
    assert result.exit_code == 0, result.output
    return work


def pinnsolve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pinnsolve", *args], capture_output=True, text=True, timeout=300)


# -- overrides ----------------------------------------------------------------------------------

def test_overrides_of_nested_keys_lists_and_mappings_reach_the_stored_spec(trained):
    out = trained / "overridden"
    result = runner.invoke(app, ["run", str(trained / "tiny.yaml"), "network.width=12", "training.iterations=5",
                                 "training.points={pde: 32, initial: 8, boundary: 8}", "evaluation.grid.x=[0, 1, 5]",
                                 "optimizer={type: adam, lr: 0.002}", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    saved = load_result(out / "result.h5")
    assert saved.model_config["width"] == 12 and saved.attrs["steps"] == 5
    assert "lr: 0.002" in saved.spec and "pde: 32" in saved.spec and len(saved.axes["x"]) == 5


@pytest.mark.parametrize("override, message", [
    ("network.width=abc", "error: override network.width=abc: network.width: expected a whole number, got 'abc'"),
    ("training.bogus=1", "error: override training.bogus=1: training.bogus: unknown key; expected one of: iterations,"),
    ("width", "error: 'width': expected KEY=VALUE with a dotted key, e.g. training.iterations=500"),
    ("network.width=[1, 2", "error: override network.width=[1, 2: the value is not YAML"),
])
def test_a_bad_override_is_one_line_naming_it(trained, override, message):
    result = runner.invoke(app, ["check", str(trained / "tiny.yaml"), override])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(message), result.stderr


# -- JSON, and no wrapping in a pipe ------------------------------------------------------------

def test_check_and_info_print_one_json_document(trained):
    checked = json.loads(pinnsolve("check", str(trained / "tiny.yaml"), "--json").stdout)
    assert checked["ok"] and checked["terms"] == ["pde", "initial", "boundary"] and checked["parameters"] == {"k": 0.1}
    bad = pinnsolve("check", str(trained / "tiny.yaml"), "network.width=0", "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["errors"][0]["path"] == "network.width"
    info = json.loads(pinnsolve("info", str(trained / "first" / "result.h5"), "--json").stdout)
    assert info["attributes"]["steps"] == 30 and info["metrics"]["u"]["rel_l2"] > 0 and info["network"]["width"] == 8


def test_output_into_a_pipe_is_never_wrapped(trained):
    long_dir = trained / ("a-folder-with-a-long-name-" * 4)
    done = pinnsolve("check", str(trained / "tiny.yaml"), f"output.dir={long_dir}")
    line = done.stdout.rstrip("\n")
    assert "\n" not in line and line.endswith("terms pde, initial, boundary") and len(line) > 80


# -- warm start ---------------------------------------------------------------------------------

def test_a_warm_start_begins_at_the_loss_its_network_had(trained):
    first = load_result(trained / "first" / "result.h5")
    out = trained / "warm"
    result = runner.invoke(app, ["run", str(trained / "tiny.yaml"), "--init-from", str(trained / "first" / "result.h5"),
                                 "optimizer.lr=1e-12", "training.iterations=1", "training.log_every=1", "--out", str(out),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    warm = load_result(out / "result.h5")
    for name, values in first.model_state.items():  # a step of 1e-12: the network it started from
        np.testing.assert_allclose(warm.model_state[name], values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(warm.solution["u"], first.solution["u"], rtol=0, atol=1e-10)
    # the same seed draws the same points: its first loss is where the first run ended, not a fresh start's
    assert warm.history["total"][0] == pytest.approx(first.history["total"][-1], rel=0.05)
    assert warm.history["total"][0] < 0.6 * first.history["total"][0]
    assert warm.attrs["init_from"] == str(trained / "first" / "result.h5")


def test_a_warm_start_from_another_architecture_is_refused(trained):
    result = runner.invoke(app, ["run", str(trained / "tiny.yaml"), "network.width=9", "--init-from",
                                 str(trained / "first" / "result.h5"), "--out", str(trained / "never")])
    assert result.exit_code == 2 and "holds another network" in result.stderr and "start from a result of the same" \
        in result.stderr
    assert not (trained / "never").exists()


# -- export -------------------------------------------------------------------------------------

def test_export_to_vtk_is_read_back_by_meshio_with_the_same_values(trained):
    meshio = pytest.importorskip("meshio")
    source = trained / "first" / "result.h5"
    result = runner.invoke(app, ["export", str(source), "--format", "vtk", "--out", str(trained / "u.vtu")])
    assert result.exit_code == 0, result.output
    mesh, saved = meshio.read(trained / "u.vtu"), load_result(source)
    assert mesh.points.shape == (11 * 6, 3) and mesh.cells[0].type == "quad" and len(mesh.cells[0].data) == 10 * 5
    x, t = np.meshgrid(saved.axes["x"], saved.axes["t"], indexing="ij")
    np.testing.assert_array_equal(mesh.points[:, :2], np.stack([x.ravel(), t.ravel()], axis=1))
    for name, values in (("u", saved.solution["u"]), ("u_reference", saved.reference["u"]), ("u_error", saved.error["u"])):
        np.testing.assert_array_equal(mesh.point_data[name], values.ravel())


def test_export_to_csv_and_npz_holds_the_grid_and_the_fields(trained):
    source = trained / "first" / "result.h5"
    saved = load_result(source)
    for format in ("csv", "npz"):
        assert runner.invoke(app, ["export", str(source), "--format", format]).exit_code == 0
    with open(source.with_suffix(".csv")) as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["x", "t", "u", "u_reference", "u_error"] and len(rows) == 1 + 66
    np.testing.assert_array_equal(np.array(rows[1:], dtype=float)[:, 2], saved.solution["u"].ravel())
    arrays = np.load(source.with_suffix(".npz"))
    np.testing.assert_array_equal(arrays["u_error"], saved.error["u"])
    np.testing.assert_array_equal(arrays["grid_t"], saved.axes["t"])


def test_export_refuses_an_unknown_format_in_one_line(trained):
    result = runner.invoke(app, ["export", str(trained / "first" / "result.h5"), "--format", "xlsx"])
    assert result.exit_code == 2 and result.stderr == "error: --format: expected one of: vtk, csv, npz; got 'xlsx'\n"


def test_many_errors_are_reported_up_to_a_cap(tmp_path):
    spec = TINY.replace("conditions:\n", "conditions:\n" + "".join(
        f'  - {{type: dirichlet, on: "x={i + 2}", value: 0, name: c{i}}}\n' for i in range(25)))
    (tmp_path / "many.yaml").write_text(spec)
    result = runner.invoke(app, ["check", str(tmp_path / "many.yaml")])
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 21
    assert lines[0].endswith("line 7: conditions[0].on: side 'x=2' is not a side of the box: x lies in [0, 1]")
    assert lines[-1] == f"error: {tmp_path / 'many.yaml'}: and 5 more errors"
