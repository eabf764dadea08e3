"""Side-by-side comparisons, 3 seeds each, same budget for every variant.

    python3 benchmarks/compare.py networks     # MLP vs ResNet vs AdaResNet, equal parameter counts
    python3 benchmarks/compare.py weightings   # fixed vs ReLoBRaLo vs gradient-norm annealing
    python3 benchmarks/compare.py weightings --problems burgers_inverse   # ... identifying Burgers' coefficients
    python3 benchmarks/compare.py optimizers   # every polish type on Burgers, Helmholtz and 2-D Poisson

Prints a markdown table (median over seeds of the final relative L2 error, and of the wall time to
first reach the target, '—' when a seed never does) and writes a figure of the error against wall
time to docs/figures/<comparison>.png. Each run uses one process, one after the other: run it on an
otherwise idle machine (or two comparisons with --threads 1 each on two cores), since
time-to-accuracy is wall time.

``optimizers`` gives every polish type the same network, points and first phase (the bundled
spec's) and the same wall-time budget for the whole training; each run is a fresh process, so the
table can give its peak resident memory.
"""

import argparse
import multiprocessing
import resource
import statistics
import sys
import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from pinnsolve import TrainingStopped, solve  # noqa: E402
from pinnsolve.spec import load_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1e-2

# The budget: shortened schedules of the bundled specs, so that 9 runs take minutes, not an hour,
# with an L-BFGS polish whatever the spec's, as the networks and weightings pages were measured.
LBFGS = {"training.polish.type": "lbfgs"}
BUDGETS = {
    "burgers": {"training.iterations": 2000, "training.polish.iterations": 1000, "training.log_every": 50}
    | LBFGS | {"training.polish.history": 100, "training.points.initial": 256, "training.points.boundary": 256,
               "training.polish.points.initial": 400, "training.polish.points.boundary": 400},
    "helmholtz": {"training.iterations": 10000, "training.polish.iterations": 1000, "training.log_every": 100} | LBFGS,
    "burgers_inverse": {"training.iterations": 1000, "training.polish.iterations": 1500, "training.log_every": 50},
}

# The optimizer comparison: the bundled spec's first phase, then each polish type until the wall
# time (first phase included) reaches the budget, with the target error whose time is reported.
OPTIMIZER_BUDGETS = {"burgers": (120, 2e-4), "helmholtz": (150, 1e-4), "poisson_2d": (20, 1e-6)}
POLISH_TYPES = ["lbfgs", "bfgs", "ssbfgs", "ssbroyden", "lm", "natural_gradient"]

# Equal parameter counts: an input layer and 8 hidden layers of 20 (Burgers), an input layer and 2
# hidden layers of 50 (Helmholtz); AdaResNet adds one skip weight per block.
NETWORKS = {
    "burgers": {"MLP": {"type": "mlp", "width": 20, "depth": 9},
                "ResNet": {"type": "resnet", "width": 20, "blocks": 4, "layers_per_block": 2},
                "AdaResNet": {"type": "adaresnet", "width": 20, "blocks": 4, "layers_per_block": 2}},
    "helmholtz": {"MLP": {"type": "mlp", "width": 50, "depth": 3},
                  "ResNet": {"type": "resnet", "width": 50, "blocks": 1, "layers_per_block": 2},
                  "AdaResNet": {"type": "adaresnet", "width": 50, "blocks": 1, "layers_per_block": 2}},
}
WEIGHTINGS = {"fixed": {"type": "fixed"}, "ReLoBRaLo": {"type": "relobralo"}, "grad-norm": {"type": "gradnorm"},
              "grad-norm l2": {"type": "gradnorm", "mode": "l2"}, "grad-norm mean": {"type": "gradnorm", "mode": "mean"}}


def variants(comparison: str, problem: str, types: list[str] = POLISH_TYPES) -> dict[str, dict]:
    if comparison == "optimizers":
        # a Gauss–Newton iteration takes seconds: log (and check the budget) after each couple of them
        return {kind: {"training.polish.type": kind, "training.polish.iterations": 10**6,
                       "training.log_every": 2 if kind in ("lm", "natural_gradient") else 10} for kind in types}
    if comparison == "networks":
        keep = load_spec(ROOT / "problems" / f"{problem}.yaml").network.get("output_transform")
        return {name: {"network": net | ({"output_transform": keep} if keep else {})}
                for name, net in NETWORKS[problem].items()}
    # Weightings balance loss terms: Burgers' hard constraints would leave only the PDE term, so
    # its initial and boundary conditions are soft losses here.
    soft = {"network.output_transform": None}
    return {name: {"weighting": weighting} | soft for name, weighting in WEIGHTINGS.items()}


def run(problem: str, overrides: dict, seed: int, wall: float | None = None, target: float = TARGET):
    """One training run: (final error, time to ``target``, time and error columns, parameter count,
    unknowns' errors, peak resident memory in MB). ``wall`` stops it after that many seconds."""
    spec = load_spec(ROOT / "problems" / f"{problem}.yaml", (BUDGETS.get(problem, {}) if wall is None else {})
                     | overrides | {"training.seed": seed})
    stop = threading.Event()
    progress = None if wall is None else lambda step, total, row: stop.set() if row["time"] >= wall else None
    try:
        result = solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes,
                       progress=progress, stop=stop)
    except TrainingStopped as stopped:
        result = stopped.result
    history = result.history
    reached = np.flatnonzero(history["rel_l2/u"] <= target)
    return (result.metrics["u"]["rel_l2"], history["time"][reached[0]] if len(reached) else None,
            history["time"], history["rel_l2/u"], sum(v.size for v in result.model_state.values()), result.param_errors,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_alone(*arguments):
    """:func:`run` in a fresh process, so that its peak memory is its own, with this one's torch threads."""
    with multiprocessing.get_context("spawn").Pool(1, torch.set_num_threads, (torch.get_num_threads(),)) as pool:
        return pool.apply(run, arguments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("comparison", choices=["networks", "weightings", "optimizers"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--problems", nargs="+", choices=list(BUDGETS) + list(OPTIMIZER_BUDGETS),
                        help="default: burgers and helmholtz; for optimizers, also poisson_2d")
    parser.add_argument("--types", nargs="+", choices=POLISH_TYPES, default=POLISH_TYPES,
                        help="for optimizers: the polish types to compare (default: all)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default); with 1, two "
                                                              "comparisons can run side by side on two cores")
    args = parser.parse_args()
    optimizers = args.comparison == "optimizers"
    args.problems = args.problems or (list(OPTIMIZER_BUDGETS) if optimizers else list(BUDGETS)[:2])
    if args.threads:
        torch.set_num_threads(args.threads)

    figure, axes = plt.subplots(1, len(args.problems), figsize=(6 * len(args.problems), 4.2), squeeze=False)
    print(f"| problem | {args.comparison[:-1]} | parameters | final rel. L2 (median) | per seed | time to target (median, s) "
          "| unknowns' relative errors (median; worst seed) | peak memory (MB) |")
    print("|---|---|---:|---:|---|---:|---|---:|")
    for ax, problem in zip(axes[0], args.problems):
        wall, target = OPTIMIZER_BUDGETS[problem] if optimizers else (None, TARGET)
        for colour, (name, overrides) in enumerate(variants(args.comparison, problem, args.types).items()):
            runs = [(run_alone if optimizers else run)(problem, overrides, seed, wall, target) for seed in args.seeds]
            finals = [r[0] for r in runs]
            times = [r[1] for r in runs]
            reached = [t for t in times if t is not None]
            median_time = "—" if not reached else f"{statistics.median(reached):.1f}" + (
                "" if len(reached) == len(times) else f" ({len(reached)}/{len(times)} seeds)")
            unknowns = ", ".join(f"{k} {statistics.median(r[5][k] for r in runs):.1e}; {max(r[5][k] for r in runs):.1e}"
                                 for k in runs[0][5]) or "—"
            print(f"| {problem} | {name} | {runs[0][4]} | {statistics.median(finals):.2e} | "
                  f"{', '.join(f'{e:.1e}' for e in finals)} | {median_time} (to {target:g}) | {unknowns} | "
                  f"{max(r[6] for r in runs):.0f} |", flush=True)
            for i, (_, _, time, error, *_) in enumerate(runs):
                ax.semilogy(time, error, color=f"C{colour}", alpha=0.8, label=name if i == 0 else None)
        ax.axhline(target, color="k", lw=0.8, ls=":")
        ax.set(title=problem, xlabel="wall time (s)", ylabel="relative L2 error")
        ax.legend()
    figure.tight_layout()
    default = list(OPTIMIZER_BUDGETS) if optimizers else list(BUDGETS)[:2]
    out = ROOT / "docs" / "figures" / f"{args.comparison}{'' if args.problems == default else '-' + '-'.join(args.problems)}.png"
    figure.savefig(out, dpi=110)
    print(f"\nfigure: {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
