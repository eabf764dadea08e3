"""The corpus of malformed specs in tests/bad_specs: each is refused with exactly the expected message,
and the command line reports it as one line on stderr, exit status 2, no traceback, nothing written."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pinnsolve.cli import app
from pinnsolve.errors import SpecError
from pinnsolve.spec import load_spec

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad_specs"
EXPECTED: dict[str, str] = yaml.safe_load((BAD / "expected.yaml").read_text())
ALL_REFUSED = sorted(EXPECTED)

runner = CliRunner()


def test_corpus_is_complete_and_large():
    specs = {p.name for p in BAD.glob("*.yaml")} - {"expected.yaml"}
    assert specs == set(EXPECTED), "every bad spec has an expectation, and every expectation a file"
    assert len(EXPECTED) >= 30
    unlocated = [n for n in EXPECTED if not EXPECTED[n].startswith("line ")]
    assert len(unlocated) <= 10, "only errors about the whole document go without a line number"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_spec_message(name):
    with pytest.raises(SpecError) as caught:
        load_spec(BAD / name)
    assert str(caught.value) == EXPECTED[name]
    # The message is "line <n>: <path>: <what is wrong>", the path being the field the error is
    # about and the line where the YAML file has it (or the mapping it is missing from).
    # A spec with several independent mistakes reports each (SpecErrors), one line each, in file order.
    for error in getattr(caught.value, "errors", [caught.value]):
        where = "" if error.line is None else f"line {error.line}" + ("" if error.column is None else f", column {error.column}") + ": "
        assert str(error) == where + (f"{error.path}: {error.message}" if error.path else error.message)


def _assert_clean_refusal(result, out: Path | None = None) -> str:
    """The error lines (one per independent mistake, each starting 'error: '), nothing else."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not an uncaught error
    stderr_lines = result.stderr.splitlines()
    assert stderr_lines and all(line.startswith("error: ") for line in stderr_lines), result.stderr
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    if out is not None:
        assert not out.exists()
    return "\n".join(stderr_lines)


def expected_lines(spec: Path, name: str) -> str:
    return "\n".join(f"error: {spec}: {message}" for message in EXPECTED[name].split("\n"))


@pytest.mark.parametrize("name", ALL_REFUSED)
def test_cli_check_refuses_in_one_line(name):
    spec = BAD / name
    line = _assert_clean_refusal(runner.invoke(app, ["check", str(spec)]))
    if name in EXPECTED:
        assert line == expected_lines(spec, name)


@pytest.fixture
def no_training(monkeypatch):
    """Refused specs must never reach training; fail loudly (and fast) if one does."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a refused spec reached training")

    monkeypatch.setattr(importlib.import_module("pinnsolve.solve"), "solve", forbidden)


@pytest.mark.parametrize("name", ALL_REFUSED)
def test_cli_run_refuses_and_writes_nothing(name, tmp_path, monkeypatch, no_training):
    spec = BAD / name
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = work / "out"
    try:  # --out overrides output.dir, which would hide an error in output.dir itself
        load_spec(spec, {"output.dir": str(out)})
        arguments = ["run", str(spec), "--quiet"]
    except SpecError:
        arguments = ["run", str(spec), "--out", str(out), "--quiet"]
    line = _assert_clean_refusal(runner.invoke(app, arguments), out)
    if name in EXPECTED:
        assert line == expected_lines(spec, name)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("name", ["yaml_syntax_error.yaml", "pde_import.yaml"])
def test_cli_subprocess_refusal(name, tmp_path):
    """The real process: stderr holds exactly one line, stdout nothing, exit status 2."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pinnsolve", "run", str(BAD / name), "--out", str(out), "--quiet"]
    process = subprocess.run(command, capture_output=True, text=True, timeout=120,
                             env=os.environ | {"COLUMNS": "80"})
    assert process.returncode == 2
    assert process.stderr.splitlines() == [f"error: {BAD / name}: {EXPECTED[name]}"]
    assert "Traceback" not in process.stderr
    assert process.stdout == ""
    assert not out.exists()


# -- reading the file --------------------------------------------------------------------------

def test_non_utf8_spec_is_a_spec_error(tmp_path):
    spec = tmp_path / "binary.yaml"
    spec.write_bytes(b"\xff\xfe\x00variables: {x: [0, 1]}\n")
    result = runner.invoke(app, ["check", str(spec)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1
