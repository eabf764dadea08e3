"""The ``pinnsolve`` command line: run, check, plot, info, problems.

Bad input (a malformed spec, a missing file, an existing result without --force) is reported as one
line naming the field and the fix, with exit status 2 and no traceback (``--debug`` adds one);
nothing is written.
"""

import math
import sys
import traceback
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from pinnsolve.errors import SpecError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Solve partial differential equations with physics-informed neural networks.")
console = Console()
errors = Console(stderr=True)
# The bundled specs live in the source tree's problems/ folder; a copy in the working directory wins.
PROBLEMS_DIRS = (Path.cwd() / "problems", Path(__file__).resolve().parent.parent / "problems")


# Command-line flags that set a spec field: an error in the value names the flag, not the field.
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
    errors.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(status)


def _spec_error(spec: Path, error: SpecError) -> None:
    flag = FLAGS.get(error.path) if error.line is None else None
    fail(f"{flag}: {error.message}" if flag else f"{spec}: {error}")


@app.command()
def run(spec: Path = typer.Argument(..., help="YAML problem spec."),
        out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: the spec's output.dir)."),
        iterations: Optional[int] = typer.Option(None, "--iterations", help="First-phase iterations, overriding training.iterations."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Random seed, overriding training.seed."),
        device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda, overriding training.device."),
        force: bool = typer.Option(False, "--force", help="Replace an existing result."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")) -> None:
    """Train on SPEC and write result.h5 and plots to the output folder."""
    from pinnsolve.plots import save_plots
    from pinnsolve.solve import solve
    from pinnsolve.spec import load_spec
    from pinnsolve.tensorboard_log import TensorBoardLog
    from pinnsolve.train import TrainingDiverged

    overrides = {key: value for key, value in {"training.iterations": iterations, "training.seed": seed,
                                               "training.device": device, "output.dir": str(out) if out else None}.items()
                 if value is not None}
    try:
        run_spec = load_spec(spec, overrides)
    except SpecError as error:
        _spec_error(spec, error)
    target = run_spec.output_dir / "result.h5"
    if target.exists() and not force:
        fail(f"{target} exists; pass --force to replace it, or --out DIR to write elsewhere")

    problem = run_spec.problem
    console.print(f"[bold]{problem.name}[/]: {', '.join(problem.term_names)} on {problem.domain!r}")
    board = TensorBoardLog(run_spec.output_dir / "tensorboard") if run_spec.tensorboard else None
    with _progress(quiet) as bar:
        report = bar if board is None else lambda *args: (bar(*args), board(*args))
        try:
            result = solve(problem, run_spec.network, run_spec.optimizer, run_spec.weighting, run_spec.training,
                           run_spec.axes, spec=run_spec.text, progress=report)
        except TrainingDiverged as error:
            fail(f"training diverged: {error}", status=1)
        finally:
            if board is not None:
                board.close()
    result.save(target)
    written = [target]
    if run_spec.plots:
        written += save_plots(result, run_spec.output_dir)
    _print_metrics(result)
    console.print(f"wrote {', '.join(str(p) for p in written)}")


@app.command()
def check(spec: Path = typer.Argument(..., help="YAML problem spec.")) -> None:
    """Validate SPEC without training."""
    from pinnsolve.spec import load_spec

    try:
        run_spec = load_spec(spec)
    except SpecError as error:
        _spec_error(spec, error)
    problem = run_spec.problem
    console.print(f"{spec}: ok — {problem.name}, fields {', '.join(problem.fields)}, "
                  f"terms {', '.join(problem.term_names)}")


@app.command()
def plot(result: Path = typer.Argument(..., help="A result.h5 file."),
         out: Optional[Path] = typer.Option(None, "--out", help="Folder for the PNG files (default: beside the result).")) -> None:
    """Draw the plots of a result file."""
    from pinnsolve.plots import save_plots

    loaded = _load(result)
    for path in save_plots(loaded, out or result.parent):
        console.print(f"wrote {path}")


@app.command()
def info(result: Path = typer.Argument(..., help="A result.h5 file.")) -> None:
    """Show the metrics and settings of a result file."""
    loaded = _load(result)
    table = Table(title=f"{loaded.name} ({result})", show_header=False)
    for key, value in loaded.attrs.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    history = loaded.history
    if "total" in history and len(history["total"]):
        table.add_row("final loss", f"{history['total'][-1]:.4e}")
    for field, values in loaded.metrics.items():
        for name, value in values.items():
            table.add_row(f"{field} {name}", f"{value:.4e}")
    table.add_row("network", ", ".join(f"{k}={v}" for k, v in loaded.model_config.items() if k not in ("lower", "upper")))
    console.print(table)


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
