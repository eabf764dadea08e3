"""pinnsolve's training iteration against DeepXDE's, side by side in one process.

    python3 benchmarks/deepxde_step.py [--points 10000] [--rounds 10] [--block 50]

Needs DeepXDE with its PyTorch backend besides pinnsolve (a peer, not a dependency), e.g. in a
virtual environment that sees this one's packages:

    python3 -m venv --system-site-packages /tmp/peer && /tmp/peer/bin/pip install deepxde
    DDE_BACKEND=pytorch /tmp/peer/bin/python benchmarks/deepxde_step.py

Burgers (u_t + u u_x = (0.01/π) u_xx), the same MLP of 8 layers of 20 tanh units, float32, Adam,
``--points`` interior points and 512 condition points (initial and boundary, soft) in both. Each
round times a block of iterations of each in turn: a plain forward+backward pass, DeepXDE's
``model.train`` (which also evaluates its losses once per block), and pinnsolve's step, eager and
compiled; the medians per iteration are reported.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DDE_BACKEND", "pytorch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from step_speed import NETWORK, Plain, Step, spec  # noqa: E402
from pinnsolve.solve import build_model  # noqa: E402


def deepxde_model(points: int):
    import deepxde as dde

    dde.config.set_default_float("float32")
    geometry = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, 1))

    def pde(x, u):
        u_x = dde.grad.jacobian(u, x, i=0, j=0)
        u_t = dde.grad.jacobian(u, x, i=0, j=1)
        u_xx = dde.grad.hessian(u, x, i=0, j=0)
        return u_t + u * u_x - 0.01 / np.pi * u_xx

    boundary = dde.icbc.DirichletBC(geometry, lambda x: 0, lambda _, on_boundary: on_boundary)
    initial = dde.icbc.IC(geometry, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geometry, pde, [boundary, initial], num_domain=points, num_boundary=256,
                            num_initial=256)
    network = dde.nn.FNN([2] + [NETWORK["width"]] * NETWORK["depth"] + [1], "tanh", "Glorot normal")
    model = dde.Model(data, network)
    model.compile("adam", lr=1e-3)
    return dde.__version__, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--block", type=int, default=50, help="iterations per timed block")
    args = parser.parse_args()
    version, model = deepxde_model(args.points)
    torch.manual_seed(0)
    network = build_model(spec("burgers", args.points, "cpu").problem, NETWORK)
    eager = Step("burgers", args.points, "cpu", network)
    compiled = Step("burgers", args.points, "cpu", network, compile=True)
    plain = Plain(eager)
    started = time.perf_counter()
    compiled()
    compile_time = time.perf_counter() - started

    def repeat(step):
        return lambda: [step() for _ in range(args.block)]

    runs = {"plain forward+backward": repeat(plain), "DeepXDE": lambda: model.train(
                iterations=args.block, display_every=args.block, verbose=0),
            "pinnsolve": repeat(eager), "pinnsolve, compiled": repeat(compiled)}
    for run in runs.values():  # warm up
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - started) / args.block)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"DeepXDE {version}, torch {torch.__version__}, {torch.get_num_threads()} threads; Burgers, MLP 8x20 "
          f"tanh, {args.points:,} + 512 points, float32, Adam; medians of {args.rounds} rounds of {args.block} "
          f"iterations (compile time {compile_time:.1f} s, not included)\n")
    print("| run | ms per iteration | DeepXDE / run | run / plain |")
    print("|---|---:|---:|---:|")
    for name, median in medians.items():
        print(f"| {name} | {1e3 * median:.2f} | {medians['DeepXDE'] / median:.2f} | "
              f"{median / medians['plain forward+backward']:.2f} |")


if __name__ == "__main__":
    main()
