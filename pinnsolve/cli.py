"""The ``pinnsolve`` command line: run, check, plot, info, problems.

Bad input (a malformed spec, a missing file, an existing result without --force) is reported as one
line naming the field and the fix, with exit status 2 and no traceback (``--debug`` adds one);
nothing is written.
"""

import contextlib
import json
import math
import shlex
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from pinnsolve.errors import SpecError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Solve partial differential equations with physics-informed neural networks.")
# Output that is not a terminal (a pipe, a log file) is never wrapped: a line is a record there.
console = Console(soft_wrap=not sys.stdout.isatty())
errors = Console(stderr=True, soft_wrap=True)
# The bundled specs live in the source tree's problems/ folder; a copy in the working directory wins.
PROBLEMS_DIRS = (Path.cwd() / "problems", Path(__file__).resolve().parent.parent / "problems")


# Command-line flags that set a spec field: an error in the value names the flag, not the field,
# and the resume hint after an interruption repeats them.
FLAGS = {"training.iterations": "--iterations", "training.seed": "--seed", "training.device": "--device",
         "output.dir": "--out"}
_debug = False


@app.callback()
def options(debug: bool = typer.Option(False, "--debug", help="Show the traceback behind an error message.")) -> None:
    global _debug
    _debug = debug


def fail(message: str, status: int = 2) -> None:
    if _debug and sys.exc_info()[0] is not None:
        traceback.print_exc()
    errors.print(f"error: {_one_line(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(status)


def _one_line(message: str) -> str:
    """One line, whatever the message quotes: a key in a spec may itself hold a line break."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


MAX_REPORTED = 20  # errors of one spec reported in one run; more are counted


def _spec_error(spec: Path, error: SpecError, overrides: dict[str, Any] | None = None) -> None:
    """Each error of the spec on a line of its own (in file order), then exit status 2."""
    lines = [_error_line(spec, each, overrides) for each in getattr(error, "errors", [error])]
    if len(lines) > MAX_REPORTED:
        lines = lines[:MAX_REPORTED] + [f"{spec}: and {len(lines) - MAX_REPORTED} more errors"]
    for line in lines[:-1]:
        errors.print(f"error: {_one_line(line)}", markup=False, highlight=False, soft_wrap=True)
    fail(lines[-1])


def _error_line(spec: Path, error: SpecError, overrides: dict[str, Any] | None) -> str:
    flag = FLAGS.get(error.path) if error.line is None else None
    given = next((key for key in overrides or {} if error.path == key or error.path.startswith(f"{key}.")), None)
    if flag:
        return f"{flag}: {error.message}"
    if given is not None and error.line is None:
        return f"override {given}={_yaml_text(overrides[given])}: {error}"
    return f"{spec}: {error}"


OVERRIDES_HELP = ("KEY=VALUE settings replacing the spec's, for any key the YAML accepts: "
                  "network.width=64 training.polish.iterations=0 'optimizer={type: adam, lr: 0.001}'.")


def _parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``a.b.c=value`` pairs, each value read as a YAML scalar or flow collection (never as code)."""
    import yaml

    from pinnsolve.spec import _Loader  # the spec files' YAML: 1.2 numbers and booleans

    parsed: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key or not all(part.isidentifier() for part in key.split(".")):
            fail(f"{item!r}: expected KEY=VALUE with a dotted key, e.g. training.iterations=500")
        try:
            parsed[key] = yaml.load(text, Loader=_Loader) if text.strip() else None
        except yaml.YAMLError as error:
            fail(f"override {item}: the value is not YAML ({str(error).splitlines()[0]})")
    return parsed


def _yaml_text(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("\n...").strip()


@app.command()
def run(spec: Path = typer.Argument(..., help="YAML problem spec."),
        settings: Optional[list[str]] = typer.Argument(None, metavar="[KEY=VALUE]...", help=OVERRIDES_HELP, show_default=False),
        out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: the spec's output.dir)."),
        iterations: Optional[int] = typer.Option(None, "--iterations", help="First-phase iterations, overriding training.iterations."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Random seed, overriding training.seed."),
        device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda, overriding training.device."),
        resume: bool = typer.Option(False, "--resume", help="Continue the run saved in the output folder's checkpoint.pt."),
        init_from: Optional[Path] = typer.Option(None, "--init-from", help="Start from the trained network of this "
                                                 "result.h5 (same architecture) instead of a fresh one."),
        force: bool = typer.Option(False, "--force", help="Start over, replacing an existing result and checkpoint."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")) -> None:
    """Train on SPEC and write result.h5 and plots to the output folder.

    A checkpoint (checkpoint.pt) is saved every training.checkpoint_every steps. Ctrl-C or SIGTERM
    stops at the next step with a checkpoint and the result so far; --resume continues from it.
    """
    from pinnsolve.distributed import Group, ProcessLost
    from pinnsolve.solve import solve
    from pinnsolve.spec import load_spec
    from pinnsolve.tensorboard_log import TensorBoardLog
    from pinnsolve.train import TrainingDiverged, TrainingStopped

    given = {"training.iterations": iterations, "training.seed": seed, "training.device": device,
             "output.dir": str(out) if out else None}
    overrides = _parse_overrides(settings) | {field: value for field, value in given.items() if value is not None}
    try:
        run_spec = load_spec(spec, overrides)
    except SpecError as error:
        _spec_error(spec, error, overrides)
    # Under torchrun, every process trains; the leader alone reports and writes.
    group = Group.from_environment(run_spec.training.device)
    try:
        group.check(run_spec.training, run_spec.problem)
    except SpecError as error:
        _spec_error(spec, error)
    if init_from is not None:
        if resume:
            fail("--init-from starts a new run from another's network; --resume continues this one: give one of them")
        _check_warm_start(run_spec, init_from)
    target = run_spec.output_dir / "result.h5"
    checkpoint = run_spec.output_dir / "checkpoint.pt"
    start = _claim_output_folder(target, checkpoint, run_spec.text, resume, force)
    try:  # find out now, not at the first checkpoint, that the folder cannot be written
        run_spec.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"cannot create the output folder {run_spec.output_dir}: {error.strerror or error}")

    console.quiet, quiet = not group.leader, quiet or not group.leader
    problem = run_spec.problem
    console.print(f"[bold]{problem.name}[/]: {', '.join(problem.term_names)} on {problem.domain!r}"
                  + (f", resuming at step {start}" if resume else "")
                  + (f", {group.size} processes" if group.size > 1 else ""))
    board = TensorBoardLog(run_spec.output_dir / "tensorboard") if run_spec.tensorboard and group.leader else None
    stop = threading.Event()
    try:
        with _stop_on_signals(stop) as received:  # held while writing too: a first Ctrl-C then lets the write finish
            with _progress(quiet) as bar:
                report = bar if board is None else lambda *args: (bar(*args), board(*args))
                try:
                    result = solve(problem, run_spec.network, run_spec.optimizer, run_spec.weighting,
                                   run_spec.training, run_spec.axes, spec=run_spec.text, progress=report,
                                   checkpoint=checkpoint, resume=resume, stop=stop, group=group, init_from=init_from)
                    stopped = None
                except TrainingStopped as error:
                    result, stopped = error.result, error
                except ProcessLost as error:
                    saved = f"; the last checkpoint is {checkpoint}" if checkpoint.exists() else ""
                    fail(f"stopped: another process of this {group.size}-process run stopped answering ({error}){saved}",
                         status=1)
                except OSError as error:  # a checkpoint could not be written: disk full, folder gone
                    fail(f"stopped: cannot write {error.filename or run_spec.output_dir}: {error.strerror or error}",
                         status=1)
                finally:
                    if board is not None:
                        board.close()
            written = _write_result(result, target, run_spec.plots) if group.leader else []
    except KeyboardInterrupt:  # a second Ctrl-C: leave at once; atomic writes leave no broken file
        fail(f"aborted; the last checkpoint is {checkpoint}" if checkpoint.exists() else "aborted",
             status=128 + signal.SIGINT)
    if isinstance(stopped, TrainingDiverged):
        kept = f"; the last checkpoint before it is {checkpoint}" if checkpoint.exists() else ""
        fail(f"training diverged: {stopped}. Wrote the result up to the last logged step to {target} "
             f"(status diverged){kept}", status=1)
    if stopped is not None:
        if group.leader:
            errors.print(f"stopped at step {stopped.step}: wrote {checkpoint} and the result so far to {target} "
                         f"(status interrupted); continue with: {_resume_command(spec, overrides)}", markup=False,
                         highlight=False, soft_wrap=True)
        # the shell's convention for "ended by signal N" (another process's signal: SIGTERM's)
        raise typer.Exit(128 + (received[0] if received else signal.SIGTERM))
    _print_metrics(result)
    console.print(f"wrote {', '.join(str(p) for p in written)}", soft_wrap=True)  # paths are never folded


def _check_warm_start(run_spec, path: Path) -> None:
    """Refuse, before anything is written, a warm start from a file that is not a result of this network."""
    from pinnsolve.solve import build_model, warm_start

    if not path.is_file():
        fail(f"--init-from {path}: no such result file")
    try:
        warm_start(build_model(run_spec.problem, run_spec.network), path)
    except ValueError as error:
        fail(f"--init-from {error}")


def _claim_output_folder(target: Path, checkpoint: Path, spec_text: str, resume: bool, force: bool) -> int:
    """Refuse to lose a run: a folder holding a result or checkpoint needs --resume (with the same
    spec) or --force (which drops the old checkpoint at once, so no later --resume picks it up).
    Returns the step training starts from."""
    from pinnsolve.checkpoint import load_checkpoint
    from pinnsolve.spec import resume_conflict

    if resume:
        if not checkpoint.is_file():
            fail(f"{checkpoint}: no checkpoint to resume from; run without --resume to start")
        try:
            saved = load_checkpoint(checkpoint)
        except ValueError as error:
            fail(f"{error}; pass --force without --resume to start over")
        conflict = resume_conflict(saved["spec"], spec_text)
        if conflict:
            fail(f"--resume: {conflict} differs from the checkpointed run; resume with the same spec, "
                 "or pass --force without --resume to start over")
        return saved["trainer"]["step"]
    if force:
        checkpoint.unlink(missing_ok=True)
    elif target.exists() or checkpoint.exists():
        found = target if target.exists() else checkpoint
        hint = "--resume to continue its run, " if checkpoint.exists() else ""
        fail(f"{found} exists; pass {hint}--force to start over, or --out DIR to write elsewhere")
    return 0


def _resume_command(spec: Path, overrides: dict) -> str:
    given = "".join(f" {FLAGS[field]} {shlex.quote(str(value))}" if field in FLAGS
                    else f" {shlex.quote(f'{field}={_yaml_text(value)}')}" for field, value in overrides.items())
    return f"pinnsolve run {shlex.quote(str(spec))}{given} --resume"


def _write_result(result, target: Path, plots: bool) -> list[Path]:
    from pinnsolve.plots import save_plots

    try:
        written = [result.save(target)]
        if plots:
            written += save_plots(result, target.parent)
    except OSError as error:
        fail(f"cannot write the result to {target.parent}: {error.strerror or error}", status=1)
    return written


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event):
    """SIGINT (Ctrl-C) and SIGTERM (a scheduler's pre-emption) set ``stop``, so training ends at the
    next step with a checkpoint and a partial result. A second signal acts as usual, at once."""
    received: list[int] = []

    def handler(signum, frame):
        received.append(signum)
        stop.set()
        signal.signal(signum, previous[signum])
        errors.print("stopping after this step to save a checkpoint and the result so far (again to abort)",
                     markup=False, highlight=False, soft_wrap=True)

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)


@app.command()
def check(spec: Path = typer.Argument(..., help="YAML problem spec."),
          settings: Optional[list[str]] = typer.Argument(None, metavar="[KEY=VALUE]...", help=OVERRIDES_HELP, show_default=False),
          as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead.")) -> None:
    """Validate SPEC without training."""
    from pinnsolve.spec import load_spec

    overrides = _parse_overrides(settings)
    try:
        run_spec = load_spec(spec, overrides)
    except SpecError as error:
        if as_json:
            print(json.dumps({"spec": str(spec), "ok": False, "errors": [
                {"path": each.path, "line": each.line, "message": each.message} for each in getattr(error, "errors", [error])]}))
        _spec_error(spec, error, overrides)
    problem = run_spec.problem
    if as_json:
        print(json.dumps({"spec": str(spec), "ok": True, "name": problem.name, "variables": problem.domain.variables,
                          "fields": problem.fields, "terms": problem.term_names,
                          "parameters": problem.params.numbers(), "output_dir": str(run_spec.output_dir)}))
        return
    console.print(f"{spec}: ok — {problem.name}, fields {', '.join(problem.fields)}, "
                  f"terms {', '.join(problem.term_names)}")


@app.command()
def plot(result: Path = typer.Argument(..., help="A result.h5 file."),
         out: Optional[Path] = typer.Option(None, "--out", help="Folder for the PNG files (default: beside the result).")) -> None:
    """Draw the plots of a result file."""
    from pinnsolve.plots import save_plots

    loaded = _load(result)
    for path in save_plots(loaded, out or result.parent):
        console.print(f"wrote {path}", soft_wrap=True)


@app.command()
def info(result: Path = typer.Argument(..., help="A result.h5 file."),
         as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead.")) -> None:
    """Show the metrics and settings of a result file."""
    loaded = _load(result)
    if as_json:
        history = loaded.history
        print(json.dumps({"result": str(result), "name": loaded.name,
                          "attributes": {k: v.item() if hasattr(v, "item") else v for k, v in loaded.attrs.items()},
                          "final_loss": float(history["total"][-1]) if len(history.get("total", [])) else None,
                          "metrics": loaded.metrics, "parameters": loaded.params,
                          "parameter_errors": loaded.param_errors, "network": loaded.model_config}))
        return
    table = Table(title=f"{loaded.name} ({result})", show_header=False)
    for key, value in loaded.attrs.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    history = loaded.history
    if "total" in history and len(history["total"]):
        table.add_row("final loss", f"{history['total'][-1]:.4e}")
    for field, values in loaded.metrics.items():
        for name, value in values.items():
            table.add_row(f"{field} {name}", f"{value:.4e}")
    for name, line in _param_lines(loaded).items():
        table.add_row(f"parameter {name}", line)
    table.add_row("network", ", ".join(f"{k}={v}" for k, v in loaded.model_config.items() if k not in ("lower", "upper")))
    console.print(table)


@app.command()
def export(result: Path = typer.Argument(..., help="A result.h5 file."),
           format: str = typer.Option(..., "--format", help="vtk (ParaView; needs meshio), csv or npz."),
           out: Optional[Path] = typer.Option(None, "--out", help="The file to write (default: beside the result).")) -> None:
    """Write the prediction, reference and error on the evaluation grid for other tools."""
    from pinnsolve.export import FORMATS, SUFFIXES, export as write

    if format not in FORMATS:
        fail(f"--format: expected one of: {', '.join(FORMATS)}; got {format!r}")
    loaded = _load(result)
    if format == "vtk":
        try:
            import meshio  # noqa: F401
        except ImportError:
            fail("--format vtk needs meshio: pip install 'pinnsolve[vtk]' (or pip install meshio)")
        if len(loaded.axes) > 3:
            fail(f"--format vtk: VTK grids have at most 3 dimensions; this result has {len(loaded.axes)} "
                 "(use csv or npz)")
    target = out or result.with_suffix(SUFFIXES[format])
    try:
        console.print(f"wrote {write(loaded, target, format)}", soft_wrap=True)
    except OSError as error:
        fail(f"cannot write {target}: {error.strerror or error}", status=1)


@app.command()
def problems() -> None:
    """List the bundled problem specs."""
    import yaml

    folder = next((d for d in PROBLEMS_DIRS if d.is_dir()), None)
    if folder is None:
        fail("no problems/ folder here or beside the package; the bundled specs ship with the source tree")
    # The folder goes in the title so that a long checkout path never squeezes the spec names out.
    table = Table(title=f"bundled specs in {folder}", title_justify="left")
    table.add_column("spec", no_wrap=True)
    table.add_column("description")
    for path in sorted(folder.glob("*.yaml")):
        table.add_row(path.name, str(yaml.safe_load(path.read_text()).get("description", "")))
    console.print(table)


def _load(path: Path):
    from pinnsolve.results import load_result

    if not path.is_file():
        fail(f"{path}: no such result file")
    try:
        return load_result(path)
    except (OSError, KeyError, ValueError) as error:
        fail(f"{path}: not a pinnsolve result file ({error})")


def _print_metrics(result) -> None:
    for field, values in result.metrics.items():
        console.print(f"{field}: relative L2 error {values['rel_l2']:.3e}, max abs error {values['max_abs']:.3e}")
    for name, line in _param_lines(result).items():
        console.print(f"{name} = {line}", highlight=False)


def _param_lines(result) -> dict[str, str]:
    """Each learned parameter's value, with its true value and relative error when known."""
    errors = result.param_errors
    return {name: f"{value:.6g}" + (f" (true {result.reference_params[name]:.6g}, relative error {errors[name]:.2e})"
                                    if name in errors else "") for name, value in result.params.items()}


class _progress:
    """A rich progress bar fed by the trainer's report(step, total, row); silent when quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = Progress(TextColumn("step {task.completed:>6}/{task.total}"), BarColumn(),
                            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TextColumn("eta"),
                            TimeRemainingColumn(), console=console, disable=quiet)
        self.task = None

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def __call__(self, step: int, total: int, row) -> None:
        status = f"loss {row['total']:.3e}"
        errors_ = [v for k, v in row.items() if k.startswith("rel_l2/") and math.isfinite(v)]
        if errors_:
            status += f"  rel. L2 {max(errors_):.3e}"
        if self.task is None:
            self.task = self.bar.add_task("train", total=total, status=status)
        self.bar.update(self.task, completed=step, status=status)
        if not self.quiet and not console.is_terminal:
            console.print(f"step {step}/{total}  {status}", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
