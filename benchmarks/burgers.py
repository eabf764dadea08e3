"""Burgers as shipped: wall time and relative L2 error against the Cole–Hopf reference.

    python3 benchmarks/burgers.py [--seeds 0 1 2]

Runs problems/burgers.yaml once per seed, in this process, and prints one line per run plus the
median. Run it alone on the machine: the figure is wall time.
"""

import argparse
import statistics
import time
from pathlib import Path

from pinnsolve import solve
from pinnsolve.spec import load_spec

SPEC = Path(__file__).resolve().parent.parent / "problems" / "burgers.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    times, errors = [], []
    for seed in args.seeds:
        spec = load_spec(SPEC, {"training.seed": seed})
        started = time.perf_counter()
        result = solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes)
        times.append(time.perf_counter() - started)
        errors.append(result.metrics["u"]["rel_l2"])
        print(f"seed {seed}: {times[-1]:6.1f} s  rel. L2 {errors[-1]:.3e}", flush=True)
    print(f"median: {statistics.median(times):6.1f} s  rel. L2 {statistics.median(errors):.3e}")


if __name__ == "__main__":
    main()
