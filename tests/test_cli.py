"""End to end through the command line: `pinnsolve run` on a tiny heat problem, then info, plot,
check and problems, and the refusals (existing result, missing or foreign files)."""

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from pinnsolve.cli import app
from pinnsolve.results import load_result

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = ("solution.png", "slices.png", "history.png")
K = 0.1

TINY_HEAT = f"""\
name: tinyheat
variables: {{x: [0, 1], t: [0, 0.5]}}
fields: [u]
params: {{k: {K}}}
pde: "u_t - k*u_xx"
conditions:
  - {{type: initial, value: "sin(pi*x)"}}
  - {{type: dirichlet, on: ["x=0", "x=1"], value: 0, name: boundary}}
reference: {{type: expression, u: "exp(-k*pi**2*t)*sin(pi*x)"}}
network: {{type: mlp, width: 8, depth: 2}}
optimizer: {{type: adam, lr: 0.01}}
training:
  iterations: 40
  log_every: 10
  seed: 1
  points: {{pde: 128, initial: 32, boundary: 32}}
  polish: {{iterations: 5}}
evaluation: {{grid: {{x: 21, t: [0, 0.5, 11]}}}}
output: {{dir: never/used}}
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One real `python -m pinnsolve run` in a subprocess; the tests below read what it wrote."""
    work = tmp_path_factory.mktemp("cli")
    spec = work / "tiny_heat.yaml"
    spec.write_text(TINY_HEAT)
    out = work / "out"
    process = subprocess.run([sys.executable, "-m", "pinnsolve", "run", str(spec), "--out", str(out), "--quiet"],
                             capture_output=True, text=True, cwd=work, timeout=300)
    return {"process": process, "spec": spec, "out": out, "work": work}


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, path
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# -- pinnsolve run -----------------------------------------------------------------------------

def test_run_succeeds(run):
    process = run["process"]
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr
    assert "u: relative L2 error" in process.stdout
    assert str(run["out"] / "result.h5") in process.stdout.replace("\n", "")
    assert not (run["work"] / "never").exists()  # --out replaces output.dir
    assert sorted(p.name for p in run["out"].iterdir()) == sorted(("checkpoint.pt", "result.h5") + PLOTS)  # no temporaries


def test_result_file_layout(run):
    with h5py.File(run["out"] / "result.h5", "r") as h5:
        assert {"spec", "grid", "solution", "reference", "error", "metrics", "history", "model"} <= set(h5)
        assert h5.attrs["problem"] == "tinyheat"
        assert h5.attrs["seed"] == 1 and h5.attrs["dtype"] == "float32" and h5.attrs["device"] == "cpu"
        spec = yaml.safe_load(h5["spec"][()].decode() if isinstance(h5["spec"][()], bytes) else h5["spec"][()])
        assert spec["pde"] == "u_t - k*u_xx" and spec["output"]["dir"] == str(run["out"])

        x, t = h5["grid/x"][()], h5["grid/t"][()]
        assert np.array_equal(x, np.linspace(0, 1, 21)) and np.array_equal(t, np.linspace(0, 0.5, 11))
        solution, reference, error = h5["solution/u"][()], h5["reference/u"][()], h5["error/u"][()]
        assert solution.shape == reference.shape == error.shape == (21, 11)
        assert h5["solution/u"].attrs["axes"] == "x,t"
        X, T = np.meshgrid(x, t, indexing="ij")
        assert np.allclose(reference, np.exp(-K * np.pi**2 * T) * np.sin(np.pi * X), rtol=0, atol=1e-14)
        assert np.array_equal(error, solution - reference)

        metrics = h5["metrics/u"].attrs
        assert metrics["rel_l2"] == pytest.approx(np.linalg.norm(error) / np.linalg.norm(reference), rel=1e-12)
        assert metrics["max_abs"] == pytest.approx(np.abs(error).max(), rel=1e-12)

        history = h5["history"]
        assert {"step", "time", "lr", "total", "loss", "weight", "rel_l2"} <= set(history)
        assert set(history["loss"]) == set(history["weight"]) == {"pde", "initial", "boundary"}
        steps = history["step"][()]
        assert steps[:4].tolist() == [10, 20, 30, 40] and steps[-1] == 45  # 40 first-order + 5 L-BFGS
        for term in ("pde", "initial", "boundary"):
            assert history[f"loss/{term}"].shape == steps.shape
            assert np.array_equal(history[f"weight/{term}"][()], np.ones_like(steps))
        total = history["total"][()]
        assert np.allclose(total, sum(history[f"loss/{t}"][()] for t in ("pde", "initial", "boundary")), rtol=1e-6)
        assert total[-1] < total[0]

        config = json.loads(h5["model"].attrs["config"])
        assert config["type"] == "mlp" and config["width"] == 8 and config["depth"] == 2
        assert len(h5["model"]) > 0


def test_result_reloads_and_predicts(run):
    result = load_result(run["out"] / "result.h5")
    X, T = np.meshgrid(result.axes["x"], result.axes["t"], indexing="ij")
    # predict rebuilds the network in the precision it was trained in, so it reproduces the stored grid
    assert np.allclose(result.predict({"x": X, "t": T})["u"], result.solution["u"], rtol=0, atol=1e-12)


def test_plots_are_png_files(run):
    for name in PLOTS:
        path = run["out"] / name
        width, height = png_size(path)
        assert width > 200 and height > 150, name
        assert path.stat().st_size > 10_000, name


def test_second_run_without_force_is_refused_and_changes_nothing(run):
    target = run["out"] / "result.h5"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in run["out"].iterdir()}
    result = runner.invoke(app, ["run", str(run["spec"]), "--out", str(run["out"]), "--quiet"])
    line = one_error_line(result)
    assert str(target) in line and "--force" in line
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in run["out"].iterdir()}
    assert after == before


def test_run_with_force_replaces_the_result(run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(run["out"], out)
    (out / "result.h5").write_bytes(b"stale bytes, not a result")
    for name in PLOTS:
        (out / name).unlink()
    result = runner.invoke(app, ["run", str(run["spec"]), "--out", str(out), "--quiet", "--force", "--iterations", "3"])
    assert result.exit_code == 0, (result.output, result.exception)
    loaded = load_result(out / "result.h5")
    assert loaded.name == "tinyheat" and loaded.history["step"][0] == 3
    assert loaded.history["step"][-1] == 8  # 3 first-order + 5 L-BFGS steps
    for name in PLOTS:
        png_size(out / name)
    assert sorted(p.name for p in out.iterdir()) == sorted(("checkpoint.pt", "result.h5") + PLOTS)


# -- info and plot -----------------------------------------------------------------------------

def test_info_shows_the_metrics(run):
    path = run["out"] / "result.h5"
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 0, (result.output, result.exception)
    with h5py.File(path, "r") as h5:
        rel_l2, max_abs = h5["metrics/u"].attrs["rel_l2"], h5["metrics/u"].attrs["max_abs"]
        final = h5["history/total"][-1]
    text = " ".join(result.output.split())
    assert "tinyheat" in text
    assert f"{rel_l2:.4e}" in text and f"{max_abs:.4e}" in text
    assert f"{final:.4e}" in text


def test_plot_regenerates_the_pngs(run, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(run["out"] / "result.h5", copy / "result.h5")
    result = runner.invoke(app, ["plot", str(copy / "result.h5")])
    assert result.exit_code == 0, (result.output, result.exception)
    for name in PLOTS:
        assert png_size(copy / name) == png_size(run["out"] / name), name
        assert str(copy / name) in " ".join(result.output.split())
    assert sorted(p.name for p in copy.iterdir()) == sorted(("result.h5",) + PLOTS)


@pytest.mark.parametrize("command", ["info", "plot"])
def test_info_and_plot_refuse_missing_file(command, tmp_path):
    missing = tmp_path / "nothing.h5"
    line = one_error_line(runner.invoke(app, [command, str(missing)]))
    assert str(missing) in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["info", "plot"])
@pytest.mark.parametrize("kind", ["text", "empty_hdf5", "directory"])
def test_info_and_plot_refuse_foreign_files(command, kind, tmp_path):
    path = tmp_path / "result.h5"
    if kind == "text":
        path.write_text("this is not HDF5\n")
    elif kind == "empty_hdf5":
        with h5py.File(path, "w") as h5:
            h5["something"] = np.arange(3)
    else:
        path.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    line = one_error_line(runner.invoke(app, [command, str(path)]))
    assert str(path) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no PNGs written


# -- check and problems ------------------------------------------------------------------------

def test_run_and_info_report_the_learned_parameters(tmp_path):
    spec = tmp_path / "inverse.yaml"
    spec.write_text(TINY_HEAT.replace(f"params: {{k: {K}}}", "params: {k: {initial: 0.5, positive: true}}")
                    .replace("type: expression,", f"type: expression, params: {{k: {K}}},")
                    .replace("conditions:", "conditions:\n  - {type: data, from: reference, count: 64}"))
    result = runner.invoke(app, ["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, (result.output, result.exception)
    learned = load_result(tmp_path / "out" / "result.h5")
    line = f"k = {learned.params['k']:.6g} (true 0.1, relative error {learned.param_errors['k']:.2e})"
    assert line in result.output.splitlines()
    shown = runner.invoke(app, ["info", str(tmp_path / "out" / "result.h5")]).output
    assert "parameter k" in shown and f"{learned.params['k']:.6g} (true 0.1" in shown


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "problems").glob("*.yaml")))
def test_check_bundled_problems(name):
    spec = ROOT / "problems" / f"{name}.yaml"
    result = runner.invoke(app, ["check", str(spec)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "ok" in result.output and name in result.output


def test_check_missing_spec(tmp_path):
    line = one_error_line(runner.invoke(app, ["check", str(tmp_path / "absent.yaml")]))
    assert "absent.yaml" in line and "cannot read spec" in line


def test_bad_flag_value_names_the_flag(tmp_path):
    spec = tmp_path / "tiny_heat.yaml"
    spec.write_text(TINY_HEAT)
    line = one_error_line(runner.invoke(app, ["run", str(spec), "--iterations", "-1", "--out", str(tmp_path / "o")]))
    assert line == "error: --iterations: must lie in [0, 1000000000], got -1"
    assert not (tmp_path / "o").exists()


def test_a_line_break_inside_a_name_stays_on_the_one_line(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(TINY_HEAT.replace("width: 8", '"wid\\nth": 8'))
    line = one_error_line(runner.invoke(app, ["check", str(spec)]))
    assert line.startswith(f"error: {spec}: line 10: network.wid\\nth: unknown key")


def test_debug_adds_the_traceback(tmp_path):
    spec = tmp_path / "wide.yaml"
    spec.write_text(TINY_HEAT.replace("width: 8", "width: -8"))
    expected = f"error: {spec}: line 10: network.width: must lie in [1, 4096], got -8"
    assert one_error_line(runner.invoke(app, ["check", str(spec)])) == expected
    result = runner.invoke(app, ["--debug", "check", str(spec)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Traceback") and "in _integer" in result.stderr
    assert result.stderr.splitlines()[-1] == expected


def test_problems_lists_the_bundled_specs():
    result = runner.invoke(app, ["problems"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "burgers.yaml" in result.output and "heat.yaml" in result.output


def test_problems_names_every_spec_under_a_long_checkout_path(tmp_path, monkeypatch):
    folder = tmp_path.joinpath(*["a_rather_long_folder_name"] * 6, "problems")
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "problems" / "heat.yaml", folder / "heat.yaml")
    monkeypatch.setattr("pinnsolve.cli.PROBLEMS_DIRS", (folder,))
    result = runner.invoke(app, ["problems"], terminal_width=80)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "heat.yaml" in result.output
