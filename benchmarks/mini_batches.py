"""Mini-batches against full batches on problems/heat.yaml, side by side, seed by seed.

    python3 benchmarks/mini_batches.py [--seeds 0 1 2]

full:  the spec as shipped (1,024 interior points, every step on all of them);
mini:  8,192 interior points, each first-phase step on the next 1,024 of them
       (``training.batch_size: {pde: 1024}``), the polish on 1,024 as in the full run.

Per seed and in turn (so a slower moment of the machine falls on both), the relative L2 error and
the wall time of each; then the ratios mini / full.
"""

import argparse
import statistics
import time
from pathlib import Path

from pinnsolve.solve import solve
from pinnsolve.spec import load_spec

SPEC = Path(__file__).resolve().parent.parent / "problems" / "heat.yaml"
MINI = {"training.points.pde": 8192, "training.batch_size": {"pde": 1024},
        "training.polish.points": {"pde": 1024, "initial": 128, "boundary": 128}}  # the full run's counts


def run(overrides: dict) -> tuple[float, float]:
    spec = load_spec(SPEC, overrides)
    started = time.perf_counter()
    result = solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes, spec=spec.text)
    return result.metrics["u"]["rel_l2"], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    print("| seed | full: rel. L2 | full: wall (s) | mini: rel. L2 | mini: wall (s) | error mini / full | wall mini / full |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for seed in args.seeds:
        full = run({"training.seed": seed})
        mini = run(MINI | {"training.seed": seed})
        ratios.append((mini[0] / full[0], mini[1] / full[1]))
        print(f"| {seed} | {full[0]:.2e} | {full[1]:.1f} | {mini[0]:.2e} | {mini[1]:.1f} | {ratios[-1][0]:.2f} | "
              f"{ratios[-1][1]:.2f} |", flush=True)
    print(f"median ratios: error {statistics.median(r[0] for r in ratios):.2f}, wall {statistics.median(r[1] for r in ratios):.2f}")


if __name__ == "__main__":
    main()
