"""The command line when runs end early: Ctrl-C and SIGTERM save a checkpoint and the result so far,
--resume continues bit for bit, a diverged run writes its result marked diverged, and nothing is
started over or overwritten by accident."""

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pinnsolve.checkpoint import load_checkpoint
from pinnsolve.cli import app
from pinnsolve.results import load_result

SPEC = """\
name: tinyheat
variables: {x: [0, 1], t: [0, 0.5]}
fields: [u]
params: {k: 0.1}
pde: "u_t - k*u_xx"
conditions:
  - {type: initial, value: "sin(pi*x)"}
  - {type: dirichlet, on: ["x=0", "x=1"], value: 0, name: boundary}
reference: {type: expression, u: "exp(-k*pi**2*t)*sin(pi*x)"}
network: {type: mlp, width: 8, depth: 2}
optimizer: {type: adan, lr: 0.01}
weighting: {type: relobralo, rho: 0.5}
training:
  iterations: 1500
  log_every: 50
  checkpoint_every: 100
  resample_every: 7
  points: {pde: 64, initial: 16, boundary: 16}
evaluation: {grid: {x: 11, t: 6}}
output: {plots: false}
"""

runner = CliRunner()


def pinnsolve(*arguments, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pinnsolve", *arguments], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupt_once_checkpointed(process: subprocess.Popen, checkpoint: Path, signum: int) -> tuple[str, str]:
    """Send ``signum`` as soon as the first periodic checkpoint exists: mid-training."""
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.02)
    process.send_signal(signum)
    return process.communicate(timeout=120)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    work = tmp_path_factory.mktemp("whole")
    (work / "spec.yaml").write_text(SPEC)
    process = pinnsolve("run", "spec.yaml", "--out", "out", "--quiet", cwd=work)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return load_result(work / "out" / "result.h5")


def test_ctrl_c_then_resume_gives_the_uninterrupted_weights(uninterrupted, tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    out = tmp_path / "out"
    process = pinnsolve("run", "spec.yaml", "--out", "out", "--quiet", cwd=tmp_path)
    _, stderr = interrupt_once_checkpointed(process, out / "checkpoint.pt", signal.SIGINT)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1].endswith("(status interrupted); continue with: pinnsolve run spec.yaml --out out --resume")
    partial = load_result(out / "result.h5")
    stopped_at = load_checkpoint(out / "checkpoint.pt")["trainer"]["step"]
    assert partial.attrs["status"] == "interrupted" and partial.attrs["steps"] == stopped_at
    assert 100 <= stopped_at < 1500

    refused = pinnsolve("run", "spec.yaml", "--out", "out", "--quiet", cwd=tmp_path)
    _, stderr = refused.communicate(timeout=120)
    assert refused.returncode == 2
    assert stderr == (f"error: {Path('out') / 'result.h5'} exists; pass --resume to continue its run, "
                      "--force to start over, or --out DIR to write elsewhere\n")

    resumed = pinnsolve("run", "spec.yaml", "--out", "out", "--quiet", "--resume", cwd=tmp_path)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    result = load_result(out / "result.h5")
    assert result.attrs["status"] == "complete" and result.attrs["steps"] == 1500
    for name, values in uninterrupted.model_state.items():
        assert np.array_equal(result.model_state[name], values), name
    assert np.array_equal(result.history["total"], uninterrupted.history["total"])


def test_sigterm_saves_a_checkpoint_and_the_result_so_far(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    out = tmp_path / "out"
    process = pinnsolve("run", "spec.yaml", "--out", "out", "--quiet", cwd=tmp_path)
    _, stderr = interrupt_once_checkpointed(process, out / "checkpoint.pt", signal.SIGTERM)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert load_result(out / "result.h5").attrs["status"] == "interrupted"
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "result.h5"]


# -- refusals ----------------------------------------------------------------------------------

@pytest.fixture
def finished(tmp_path, monkeypatch):
    """A short finished run in tmp_path/out, made in this process."""
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(SPEC.replace("iterations: 1500", "iterations: 20"))
    result = runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--quiet"])
    assert result.exit_code == 0, (result.output, result.exception)
    return tmp_path


def error_line(result) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1
    return result.stderr.strip()


def test_resume_with_a_changed_spec_is_refused(finished):
    line = error_line(runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--resume", "--seed", "5"]))
    assert line == ("error: --resume: training.seed differs from the checkpointed run; resume with the same spec, "
                    "or pass --force without --resume to start over")


def test_resume_with_more_iterations_continues(finished):
    result = runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--resume", "--iterations", "30", "--quiet"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert ", resuming at step 20" in " ".join(result.output.split())
    loaded = load_result(finished / "out" / "result.h5")
    assert loaded.attrs["steps"] == 30 and loaded.history["step"].tolist() == [20, 30]


def test_resume_without_a_checkpoint_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(SPEC)
    line = error_line(runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--resume"]))
    assert line == f"error: {Path('out') / 'checkpoint.pt'}: no checkpoint to resume from; run without --resume to start"


def test_resume_from_a_foreign_file_is_refused(finished):
    (finished / "out" / "checkpoint.pt").write_text("not a checkpoint")
    line = error_line(runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--resume"]))
    assert line.startswith(f"error: {Path('out') / 'checkpoint.pt'} is not a pinnsolve checkpoint")
    assert line.endswith("; pass --force without --resume to start over")


def test_a_left_checkpoint_blocks_a_fresh_start(finished):
    (finished / "out" / "result.h5").unlink()  # as after a kill -9 before the first result
    line = error_line(runner.invoke(app, ["run", "spec.yaml", "--out", "out"]))
    assert line == (f"error: {Path('out') / 'checkpoint.pt'} exists; pass --resume to continue its run, --force to "
                    "start over, or --out DIR to write elsewhere")


def test_force_starts_over_and_drops_the_old_checkpoint(finished):
    result = runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--force", "--iterations", "5", "--quiet"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert load_checkpoint(finished / "out" / "checkpoint.pt")["trainer"]["step"] == 5


# -- divergence --------------------------------------------------------------------------------

def test_diverged_run_writes_its_result_and_exits_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = SPEC.replace("optimizer: {type: adan, lr: 0.01}", "optimizer: {type: sgd, lr: 1.0e+6}")
    Path("spec.yaml").write_text(spec.replace("log_every: 50", "log_every: 1"))
    result = runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--quiet"])
    assert result.exit_code == 1, (result.output, result.exception)
    line, = result.stderr.splitlines()
    assert line.startswith("error: training diverged: loss term '") and " at step " in line
    assert line.endswith(f"Wrote the result up to the last logged step to {Path('out') / 'result.h5'} "
                         f"(status diverged); the last checkpoint before it is {Path('out') / 'checkpoint.pt'}") \
        or line.endswith("(status diverged)")
    loaded = load_result(tmp_path / "out" / "result.h5")
    assert loaded.attrs["status"] == "diverged" and loaded.attrs["stop_reason"] in line
    assert all(np.isfinite(v).all() for v in loaded.model_state.values())


def test_no_signal_handler_is_left_behind(finished):
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None) or os.name != "posix"


def test_a_second_ctrl_c_aborts_in_one_line(finished, monkeypatch):
    def impatient(*args, **kwargs):
        raise KeyboardInterrupt  # what the default handler raises for a second Ctrl-C

    monkeypatch.setattr(importlib.import_module("pinnsolve.solve"), "solve", impatient)
    result = runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--resume", "--quiet"])
    assert result.exit_code == 130 and isinstance(result.exception, SystemExit)
    assert result.stderr == f"error: aborted; the last checkpoint is {Path('out') / 'checkpoint.pt'}\n"
    assert load_result(finished / "out" / "result.h5").attrs["status"] == "complete"  # untouched


def test_an_unwritable_output_folder_is_refused_before_training(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(SPEC)
    Path("blocker").write_text("a file where the folder should be")
    line = error_line(runner.invoke(app, ["run", "spec.yaml", "--out", "blocker/out"]))
    assert line.startswith(f"error: cannot create the output folder {Path('blocker') / 'out'}: ")


def test_a_checkpoint_that_cannot_be_written_stops_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(SPEC.replace("iterations: 1500", "iterations: 250"))

    def disk_full(path, state, spec=""):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("pinnsolve.train.save_checkpoint", disk_full)
    result = runner.invoke(app, ["run", "spec.yaml", "--out", "out", "--quiet"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr == f"error: stopped: cannot write {Path('out') / 'checkpoint.pt'}: No space left on device\n"
