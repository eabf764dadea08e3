"""What one training step costs, measured side by side in one process.

    python3 benchmarks/step_speed.py [--problems burgers poisson3d poisson5d] [--points 1000 10000 100000]
                                     [--rounds 15] [--no-compile] [--threads N] [--device cpu|cuda]

For each problem and number of interior points, four ways of taking a step run in turn, round after
round (so a slower moment of a shared machine falls on all of them), and the median of each is
reported:

- plain:    a forward and a backward pass of the same network on the interior points, no derivatives;
- forward:  the pinnsolve step (losses, gradient, Adam update) with forward Taylor-mode derivatives;
- compiled: the same with ``training.compile: true`` (its one-off compile time is printed apart);
- autograd: the same step with nested autograd (``training.derivatives: autograd``).

The network is an MLP of 8 layers of 20 tanh units throughout; Burgers has 512 condition points
(initial and boundary, soft), the Poisson problems 512 boundary points. Ratios below 1 against
autograd are savings.
"""

import argparse
import copy
import statistics
import time

import torch

from pinnsolve.spec import build_spec
from pinnsolve.train import Trainer
from pinnsolve.optim import build_optimizer
from pinnsolve.solve import build_model
from pinnsolve.objective import move
from pinnsolve.config import DTYPES

NETWORK = {"type": "mlp", "width": 20, "depth": 8, "activation": "tanh"}


def poisson(dim: int) -> dict:
    """-Δu = f on the unit cube of ``dim`` dimensions, u = Π sin(π xᵢ) vanishing on the boundary."""
    names = [f"x{i + 1}" for i in range(dim)]
    product = "*".join(f"sin(pi*{v})" for v in names)
    return {"name": f"poisson{dim}d", "variables": {v: [0, 1] for v in names}, "fields": ["u"],
            "pde": " + ".join(f"u_{v}{v}" for v in names) + f" + {dim}*pi**2*{product}",
            "conditions": [{"type": "dirichlet", "on": [f"{v}={b}" for v in names for b in (0, 1)], "value": 0,
                            "name": "boundary"}],
            "points": {"boundary": 512}}


PROBLEMS = {
    "burgers": {"name": "burgers", "variables": {"x": [-1, 1], "t": [0, 1]}, "fields": ["u"],
                "params": {"nu": 0.0031830988618379067}, "pde": "u_t + u*u_x - nu*u_xx",
                "conditions": [{"type": "initial", "value": "-sin(pi*x)"},
                               {"type": "dirichlet", "on": ["x=-1", "x=1"], "value": 0, "name": "boundary"}],
                "points": {"initial": 256, "boundary": 256}},
    "poisson3d": poisson(3),
    "poisson5d": poisson(5),
}


def spec(problem: str, points: int, device: str, derivatives: str = "forward", compile: bool = False):
    document = dict(PROBLEMS[problem])
    counts = document.pop("points") | {"pde": points}
    document |= {"network": NETWORK, "optimizer": {"type": "adam", "lr": 1e-3},
                 "training": {"points": counts, "device": device, "derivatives": derivatives, "compile": compile}}
    return build_spec(document)


class Step:
    """One way of taking a training step on fixed points, with its own copy of the network."""

    def __init__(self, problem: str, points: int, device: str, network: torch.nn.Module, **options):
        run = spec(problem, points, device, **options)
        self.network = copy.deepcopy(network)
        move(self.network, run.problem.params, device, DTYPES[run.training.dtype])
        optimizer = build_optimizer("adam", [p for p in self.network.parameters()], lr=1e-3)
        self.trainer = Trainer(run.problem, self.network, optimizer, run.training)
        self.trainer.batches = self.trainer.sample(run.training.points)

    def __call__(self) -> None:
        self.trainer.objective.step(self.trainer.batches, lambda losses, context: {name: 1.0 for name in losses})
        self.trainer.optimizer.step()


class Plain:
    """A forward and a backward pass of the network on the same interior points."""

    def __init__(self, step: Step):
        self.network, self.points = step.network, step.trainer.batches["pde"].points

    def __call__(self) -> None:
        self.network(self.points).square().mean().backward()


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure(problem: str, points: int, rounds: int, compiled: bool, device: str) -> dict[str, float]:
    torch.manual_seed(0)
    network = build_model(spec(problem, points, device).problem, NETWORK)
    steps = {"forward": Step(problem, points, device, network),
             "autograd": Step(problem, points, device, network, derivatives="autograd")}
    steps = {"plain": Plain(steps["forward"])} | steps
    compile_time = float("nan")
    if compiled:
        steps["compiled"] = Step(problem, points, device, network, compile=True)
        started = time.perf_counter()
        steps["compiled"]()
        synchronize(device)
        compile_time = time.perf_counter() - started
    for step in steps.values():  # warm up
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            synchronize(device)
            started = time.perf_counter()
            step()
            synchronize(device)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()} | {"compile_s": compile_time}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=list(PROBLEMS))
    parser.add_argument("--points", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-compile", action="store_true", help="leave out the compiled step")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, float32, "
          f"MLP 8x20 tanh, Adam; medians of {args.rounds} interleaved rounds\n")
    print("| problem | points | plain ms | forward ms | compiled ms | autograd ms | forward/plain | compiled/plain "
          "| forward/autograd | compiled/autograd | compile s | points·steps/s (best) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for problem in args.problems:
        for points in args.points:
            t = measure(problem, points, args.rounds, not args.no_compile, args.device)
            compiled = t.get("compiled", float("nan"))
            best = min(t["forward"], compiled) if compiled == compiled else t["forward"]
            print(f"| {problem} | {points:,} | {1e3 * t['plain']:.2f} | {1e3 * t['forward']:.2f} | {1e3 * compiled:.2f} "
                  f"| {1e3 * t['autograd']:.2f} | {t['forward'] / t['plain']:.2f} | {compiled / t['plain']:.2f} "
                  f"| {t['forward'] / t['autograd']:.2f} | {compiled / t['autograd']:.2f} | {t['compile_s']:.1f} "
                  f"| {points / best:.3g} |", flush=True)


if __name__ == "__main__":
    main()
