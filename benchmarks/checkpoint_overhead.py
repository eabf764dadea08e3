"""Cost of checkpointing on Burgers, measured side by side in one process.

    python3 benchmarks/checkpoint_overhead.py [--adan 300] [--lbfgs 100] [--every 100] [--rounds 3]

Each round trains Burgers as shipped (short budgets, an L-BFGS polish) twice in turn: without a checkpoint file, and
with a checkpoint written every ``--every`` steps (ten times denser than the default 1000), so slow
phases of a shared machine hit both alike. Reports the median wall time of each, their ratio, and
the size of one checkpoint. Both runs must end with the same weights: checkpointing only reads.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from pinnsolve.solve import solve
from pinnsolve.spec import load_spec

SPEC = Path(__file__).resolve().parent.parent / "problems" / "burgers.yaml"


def timed_run(adan: int, lbfgs: int, every: int, checkpoint: Path | None):
    # an L-BFGS polish with 100 curvature pairs, as measured in docs/getting-started.md
    spec = load_spec(SPEC, {"training.iterations": adan, "training.polish.iterations": lbfgs,
                            "training.polish.type": "lbfgs", "training.polish.history": 100,
                            "training.checkpoint_every": every})
    started = time.perf_counter()
    result = solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes,
                   checkpoint=checkpoint)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adan", type=int, default=300)
    parser.add_argument("--lbfgs", type=int, default=100)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "checkpoint.pt"
        for _ in range(args.rounds):
            off, plain = timed_run(args.adan, args.lbfgs, args.every, None)
            on, checkpointed = timed_run(args.adan, args.lbfgs, args.every, checkpoint)
            assert all(np.array_equal(plain.model_state[k], checkpointed.model_state[k]) for k in plain.model_state)
            times["off"].append(off)
            times["on"].append(on)
        size = checkpoint.stat().st_size
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"no checkpoints          {off:7.2f} s")
    print(f"checkpoint every {args.every:<6d} {on:7.2f} s  x{on / off:.3f}")
    print(f"checkpoint size         {size / 1e6:7.2f} MB")


if __name__ == "__main__":
    main()
