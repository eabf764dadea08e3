"""PNG figures of a result: the solution (with reference and error), time slices, training history.

For problems of more than two variables, the fields are shown on the plane of the first two
variables at the middle of the grid of the others. Grid points outside a geometry hold NaN and are
left blank, so only the domain is drawn.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pinnsolve.files import write_atomically  # noqa: E402
from pinnsolve.results import Result  # noqa: E402


def save_plots(result: Result, folder: str | Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [_save(_solution_figure(result), folder / "solution.png")]
    if "t" in result.axes and len(result.axes) == 2:
        written.append(_save(_slices_figure(result), folder / "slices.png"))
    if len(result.history.get("step", [])):
        written.append(_save(_history_figure(result), folder / "history.png"))
    return written


def _save(figure, path: Path) -> Path:
    try:  # never leave a half-drawn figure under the real name
        return write_atomically(path, lambda temporary: figure.savefig(temporary, dpi=110, bbox_inches="tight"))
    finally:
        plt.close(figure)


def _plane(result: Result, values: np.ndarray) -> np.ndarray:
    """The first two grid dimensions, at the middle index of any others."""
    while values.ndim > 2:
        values = values[..., values.shape[-1] // 2]
    return values


def _solution_figure(result: Result):
    panels = [("prediction", result.solution)]
    if result.reference is not None:
        panels += [("reference", result.reference), ("error", result.error)]
    fields = list(result.solution)
    figure, axes = plt.subplots(len(fields), len(panels), figsize=(4.6 * len(panels), 3.6 * len(fields)), squeeze=False)
    names = result.variables
    for row, field in enumerate(fields):
        for col, (title, arrays) in enumerate(panels):
            ax = axes[row, col]
            values = _plane(result, arrays[field])
            if len(names) == 1:
                ax.plot(result.axes[names[0]], values)
                ax.set_xlabel(names[0])
            else:
                # Time (if present) along the horizontal axis, as in the usual x–t pictures.
                first, second = result.axes[names[0]], result.axes[names[1]]
                horizontal, vertical, image = (second, first, values) if names[1] == "t" else (first, second, values.T)
                cmap = "coolwarm" if title == "error" else "viridis"
                mesh = ax.pcolormesh(horizontal, vertical, image, shading="auto", cmap=cmap)
                figure.colorbar(mesh, ax=ax)
                if result.mask is not None and "t" not in names[:2]:  # a shape: draw it undistorted
                    ax.set_aspect("equal")
                ax.set_xlabel(names[1] if names[1] == "t" else names[0])
                ax.set_ylabel(names[0] if names[1] == "t" else names[1])
            ax.set_title(f"{field}: {title}")
    figure.suptitle(_summary(result))
    figure.tight_layout()
    return figure


def _slices_figure(result: Result):
    x_name = next(v for v in result.variables if v != "t")
    times = result.axes["t"]
    picks = sorted({int(round(i)) for i in np.linspace(0, len(times) - 1, 4)[1:]})
    fields = list(result.solution)
    figure, axes = plt.subplots(len(fields), len(picks), figsize=(4.2 * len(picks), 3.2 * len(fields)), squeeze=False)
    t_axis = result.variables.index("t")
    for row, field in enumerate(fields):
        for col, k in enumerate(picks):
            ax = axes[row, col]
            take = lambda a: np.take(a[field], k, axis=t_axis)  # noqa: E731
            if result.reference is not None:
                ax.plot(result.axes[x_name], take(result.reference), "k-", lw=2.5, alpha=0.4, label="reference")
            ax.plot(result.axes[x_name], take(result.solution), "r--", lw=1.5, label="prediction")
            ax.set_title(f"{field} at t = {times[k]:.3g}")
            ax.set_xlabel(x_name)
    axes[0, 0].legend()
    figure.tight_layout()
    return figure


def _history_figure(result: Result):
    """Loss per term, then (when they say something) the loss weights, the relative error, the
    unknown parameters, the AdaResNet skip weights and the layer weight norms, one panel each; the
    steps where the polish began and where the precision changed are marked in every panel."""
    history = result.history
    steps = history["step"]
    panels = [(title, log, series) for title, log, series in
              (("loss", True, _series(history, "loss/", drop=lambda v: not np.any(v))),  # terms enforced exactly: 0
               ("loss weights", False, _series(history, "weight/", drop=lambda v: False)),
               ("relative L2 error", True, _series(history, "rel_l2/")),
               ("unknown parameters", False, _series(history, "param/")),
               ("skip weights", False, _series(history, "skip/")),
               ("layer weight norms", False, _layer_series(history)))
              if series and not (title == "loss weights" and all(np.ptp(v) == 0 for _, v in series))]
    columns = min(len(panels), 3)
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.8 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    marks = _switches(history)
    for ax, (title, log, series) in zip(axes.flat, panels):
        draw = ax.semilogy if log else ax.plot
        if title == "loss":
            draw(steps, history["total"], "k-", lw=2, label="total")
        for label, values in series:
            draw(steps, values, lw=1, label=label)
        for step, text in marks:
            ax.axvline(step, color="0.5", ls="--", lw=0.8)
            ax.text(step, 1.0, f" {text}", transform=ax.get_xaxis_transform(), fontsize=7, va="top", color="0.3")
        ax.set(xlabel="step", title=title)
        ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _series(history, prefix: str, drop=lambda values: not np.any(np.isfinite(values))):
    """The rows of every ``prefix`` key, named without it, except those ``drop`` says show nothing."""
    return [(key.removeprefix(prefix), history[key]) for key in sorted(k for k in history if k.startswith(prefix))
            if not drop(history[key])]


def _layer_series(history) -> list[tuple[str, np.ndarray]]:
    """The weight norms of the Linear layers in network order, named by position."""
    keys = [k for k in history if k.startswith("norm/")]
    names = ["input"] + [f"hidden {i}" for i in range(1, len(keys) - 1)] + ["output"] if len(keys) > 1 else ["layer"]
    return [(name, history[key]) for name, key in zip(names, keys)]


def _switches(history) -> list[tuple[float, str]]:
    """(step, what) where the polish phase began and where the precision changed."""
    marks = []
    for key, describe in (("phase", lambda new: "polish"), ("precision", lambda new: f"float{int(new)}")):
        values = history.get(key)
        if values is None:
            continue
        for i in np.flatnonzero(np.diff(values) != 0):
            marks.append((float(history["step"][i]), describe(values[i + 1])))
    return marks


def _summary(result: Result) -> str:
    errors = ", ".join(f"{f} rel. L2 {m['rel_l2']:.2e}" for f, m in result.metrics.items())
    return f"{result.name}" + (f" — {errors}" if errors else "")
