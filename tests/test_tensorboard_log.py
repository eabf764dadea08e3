"""Optional TensorBoard logging: events with the history's scalars, and a clear error without it."""

import pytest
from typer.testing import CliRunner

from pinnsolve.spec import solver as spec_solver
from pinnsolve.cli import app
from pinnsolve.errors import SpecError
from pinnsolve.spec import build_spec

from test_cli import TINY_HEAT

runner = CliRunner()


def test_run_writes_tensorboard_events(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY_HEAT.replace("output: {dir: never/used}", "output: {dir: never/used, tensorboard: true}"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(spec), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, (result.output, result.exception)
    events = event_accumulator.EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"total", "loss/pde", "loss/boundary", "weight/pde", "rel_l2/u", "lr"} <= tags
    assert any(tag.startswith("norm/") for tag in tags)
    steps = [event.step for event in events.Scalars("total")]
    assert steps == [10, 20, 30, 40, 45]  # every log_every steps, then the L-BFGS polish


def test_missing_package_is_a_clear_spec_error(monkeypatch):
    monkeypatch.setattr(spec_solver, "tensorboard_available", lambda: False)
    document = {"variables": {"x": [0, 1]}, "fields": ["u"], "pde": "u_xx", "output": {"tensorboard": True}}
    with pytest.raises(SpecError, match=r"^output.tensorboard: needs the tensorboard package: pip install tensorboard"):
        build_spec(document)
    document["output"]["tensorboard"] = False
    build_spec(document)  # off: no package needed
