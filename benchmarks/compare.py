"""Side-by-side comparisons on Burgers and Helmholtz, 3 seeds each, same budget for every variant.

    python3 benchmarks/compare.py networks     # MLP vs ResNet vs AdaResNet, equal parameter counts
    python3 benchmarks/compare.py weightings   # fixed vs ReLoBRaLo vs gradient-norm annealing
    python3 benchmarks/compare.py weightings --problems burgers_inverse   # ... identifying Burgers' coefficients

Prints a markdown table (median over seeds of the final relative L2 error, and of the wall time to
first reach 1e-2, '—' when a seed never does) and writes a figure of the error against wall time to
docs/figures/<comparison>.png. Each run uses one process, one after the other: run it on an
otherwise idle machine (or two comparisons with --threads 1 each on two cores), since
time-to-accuracy is wall time.
"""

import argparse
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from pinnsolve import solve  # noqa: E402
from pinnsolve.spec import load_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1e-2

# The budget: shortened schedules of the bundled specs, so that 9 runs take minutes, not an hour.
BUDGETS = {
    "burgers": {"training.iterations": 2000, "training.polish.iterations": 1000, "training.log_every": 50},
    "helmholtz": {"training.iterations": 10000, "training.polish.iterations": 1000, "training.log_every": 100},
    "burgers_inverse": {"training.iterations": 1000, "training.polish.iterations": 1500, "training.log_every": 50},
}

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


def variants(comparison: str, problem: str) -> dict[str, dict]:
    if comparison == "networks":
        keep = load_spec(ROOT / "problems" / f"{problem}.yaml").network.get("output_transform")
        return {name: {"network": net | ({"output_transform": keep} if keep else {})}
                for name, net in NETWORKS[problem].items()}
    # Weightings balance loss terms: Burgers' hard constraints would leave only the PDE term, so
    # its initial and boundary conditions are soft losses here.
    soft = {"network.output_transform": None}
    return {name: {"weighting": weighting} | soft for name, weighting in WEIGHTINGS.items()}


def run(problem: str, overrides: dict, seed: int):
    spec = load_spec(ROOT / "problems" / f"{problem}.yaml", BUDGETS[problem] | overrides | {"training.seed": seed})
    result = solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes)
    history = result.history
    reached = np.flatnonzero(history["rel_l2/u"] <= TARGET)
    return (result.metrics["u"]["rel_l2"], history["time"][reached[0]] if len(reached) else None,
            history["time"], history["rel_l2/u"], sum(v.size for v in result.model_state.values()), result.param_errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("comparison", choices=["networks", "weightings"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--problems", nargs="+", default=list(BUDGETS)[:2], choices=list(BUDGETS))
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default); with 1, two "
                                                              "comparisons can run side by side on two cores")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    figure, axes = plt.subplots(1, len(args.problems), figsize=(6 * len(args.problems), 4.2), squeeze=False)
    print(f"| problem | {args.comparison[:-1]} | parameters | final rel. L2 (median) | per seed | time to {TARGET:g} (median, s) "
          "| unknowns' relative errors (median; worst seed) |")
    print("|---|---|---:|---:|---|---:|---|")
    for ax, problem in zip(axes[0], args.problems):
        for colour, (name, overrides) in enumerate(variants(args.comparison, problem).items()):
            runs = [run(problem, overrides, seed) for seed in args.seeds]
            finals = [r[0] for r in runs]
            times = [r[1] for r in runs]
            reached = [t for t in times if t is not None]
            median_time = "—" if not reached else f"{statistics.median(reached):.1f}" + (
                "" if len(reached) == len(times) else f" ({len(reached)}/{len(times)} seeds)")
            unknowns = ", ".join(f"{k} {statistics.median(r[5][k] for r in runs):.1e}; {max(r[5][k] for r in runs):.1e}"
                                 for k in runs[0][5]) or "—"
            print(f"| {problem} | {name} | {runs[0][4]} | {statistics.median(finals):.2e} | "
                  f"{', '.join(f'{e:.1e}' for e in finals)} | {median_time} | {unknowns} |", flush=True)
            for i, (_, _, time, error, _, _) in enumerate(runs):
                ax.semilogy(time, error, color=f"C{colour}", alpha=0.8, label=name if i == 0 else None)
        ax.axhline(TARGET, color="k", lw=0.8, ls=":")
        ax.set(title=problem, xlabel="wall time (s)", ylabel="relative L2 error")
        ax.legend()
    figure.tight_layout()
    out = ROOT / "docs" / "figures" / f"{args.comparison}{'' if args.problems == list(BUDGETS)[:2] else '-' + '-'.join(args.problems)}.png"
    figure.savefig(out, dpi=110)
    print(f"\nfigure: {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
