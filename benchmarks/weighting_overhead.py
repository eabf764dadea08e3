"""Step-time overhead of the loss weightings on Burgers, measured side by side in one process.

    python3 benchmarks/weighting_overhead.py [--steps 200] [--rounds 5]

Each round trains a fresh network for ``--steps`` first-phase steps with each weighting in turn
(fixed, relobralo, gradnorm at every = 10), so slow phases of a shared machine hit all of them
alike; the median step time over rounds is reported with its ratio to fixed weights. The soft-
constraint form of Burgers is used so that every term has a gradient to balance.
"""

import argparse
import statistics
import time
from pathlib import Path

import torch

from pinnsolve.optim import build_optimizer
from pinnsolve.solve import build_model
from pinnsolve.spec import load_spec
from pinnsolve.train import Trainer
from pinnsolve.weighting import Fixed, GradNormAnnealing, ReLoBRaLo

SPEC = Path(__file__).resolve().parent.parent / "problems" / "burgers.yaml"


def step_time(weighting, steps: int) -> float:
    spec = load_spec(SPEC, {"network.output_transform": None, "training.iterations": steps,
                            "training.log_every": steps, "training.polish.iterations": 0})
    torch.manual_seed(0)
    network = build_model(spec.problem, spec.network)
    optimizer = build_optimizer("adan", network.parameters(), lr=1e-3)
    trainer = Trainer(spec.problem, network, optimizer, spec.training, weighting)
    started = time.perf_counter()
    trainer.run()
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    strategies = {"fixed": Fixed, "relobralo": ReLoBRaLo, "gradnorm (every 10)": lambda: GradNormAnnealing(every=10)}
    times = {name: [] for name in strategies}
    for _ in range(args.rounds):
        for name, make in strategies.items():
            times[name].append(step_time(make(), args.steps))
    base = statistics.median(times["fixed"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:20s} {median * 1e3:7.2f} ms/step  x{median / base:.3f}")


if __name__ == "__main__":
    main()
