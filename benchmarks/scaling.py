"""How the training step scales: with the number of collocation points, and with processes.

    python3 benchmarks/scaling.py points [--points 1000 4000 ... 1024000] [--device cpu|cuda] [--glibc-default]
    python3 benchmarks/scaling.py processes [--points 100000] [--steps 10]

``points``: the pinnsolve step (losses, gradient, Adam update; forward-mode derivatives, eager,
float32) on the Burgers problem with N interior points and N/8 points on each of its two
conditions, each N in a fresh process: the median step time over ``--steps`` steps, the peak
memory of the process (resident set on the CPU; allocated on a GPU), and t(4N)/t(N).
``--glibc-default`` measures without pinnsolve's allocator setting (:mod:`pinnsolve.host_memory`),
to see what it saves.

``processes``: the same step at one N, run by one process with two threads and by two processes
of one thread each under torchrun (gloo), each evaluating half of every point set; the step time
(slowest process) of each, side by side.

The network is an MLP of 8 layers of 20 tanh units throughout.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

SPEC = {"name": "burgers", "variables": {"x": [-1, 1], "t": [0, 1]}, "fields": ["u"],
        "params": {"nu": 0.0031830988618379067}, "pde": "u_t + u*u_x - nu*u_xx",
        "conditions": [{"type": "initial", "value": "-sin(pi*x)"},
                       {"type": "dirichlet", "on": ["x=-1", "x=1"], "value": 0, "name": "boundary"}],
        "network": {"type": "mlp", "width": 20, "depth": 8, "activation": "tanh"}}


def measure(points: int, steps: int, device: str, glibc_default: bool = False) -> dict:
    """Time ``steps`` steps (after two unmeasured ones) in this process; its peak memory."""
    import pinnsolve.objective
    from pinnsolve.distributed import Group
    from pinnsolve.objective import Objective, move

    if glibc_default:  # leave glibc's allocator as it comes
        pinnsolve.objective.keep_freed_memory = lambda: False
    from pinnsolve.sampling import Sampler
    from pinnsolve.solve import build_model
    from pinnsolve.spec import build_spec

    group = Group.from_environment(device)
    spec = build_spec(SPEC | {"training": {"device": device}})
    problem = spec.problem
    torch.manual_seed(0)
    network = build_model(problem, spec.network)
    move(network, problem.params, torch.device(device), torch.float32)
    objective = Objective(problem, network, group=group)
    optimizer = torch.optim.Adam(objective.parameters, lr=1e-3)
    sampler = Sampler("sobol", 0)
    counts = {"pde": points, "initial": points // 8, "boundary": points // 8}
    batches = {name: source.sample(sampler, problem.domain, counts[name])
               .map(lambda a: torch.tensor(a, dtype=torch.float32, device=device))
               for name, source in problem.point_sets.items()}
    share = group.shard(batches)
    times = []
    for k in range(steps + 2):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        objective.step(share, lambda losses, context: {name: 1.0 for name in losses})
        optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        group.agree(False)  # the slowest process sets the pace
        if k >= 2:
            times.append(time.perf_counter() - started)
    memory = (torch.cuda.max_memory_allocated() if device.startswith("cuda")
              else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"points": points, "processes": group.size, "step_s": statistics.median(times), "peak_bytes": memory}


def in_process(command: list[str], env: dict | None = None) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ | (env or {}))
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def scale_points(args) -> None:
    rows = [in_process([sys.executable, __file__, "measure", str(n), str(args.steps), args.device]
                       + (["glibc-default"] if args.glibc_default else [])) for n in args.points]
    print(f"{'points':>10} {'step (ms)':>10} {'peak memory (MB)':>17} {'t(4N)/t(N)':>11}")
    by_count = {row["points"]: row for row in rows}
    for row in rows:
        quarter = by_count.get(row["points"] // 4)
        ratio = f"{row['step_s'] / quarter['step_s']:.2f}" if quarter else ""
        print(f"{row['points']:>10,} {1e3 * row['step_s']:>10.1f} {row['peak_bytes'] / 2**20:>17.0f} {ratio:>11}")


def compare_processes(args) -> None:
    (points,) = args.points
    rounds = []
    for _ in range(args.rounds):  # in turn, so that a slower moment of the machine falls on both
        one = in_process([sys.executable, __file__, "measure", str(points), str(args.steps), "cpu"])
        two = in_process([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          __file__, "measure", str(points), str(args.steps), "cpu"], {"OMP_NUM_THREADS": "1"})
        rounds.append((one["step_s"], two["step_s"]))
    one, two = (statistics.median(r[i] for r in rounds) for i in (0, 1))
    print(f"{points:,} points: 1 process × 2 threads {1e3 * one:.1f} ms, 2 processes × 1 thread {1e3 * two:.1f} ms "
          f"per step (medians of {args.rounds} rounds); 2-process / 1-process {two / one:.2f}")


def main() -> None:
    if sys.argv[1] == "measure":  # one measurement, in this (fresh) process
        points, steps, device = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        row = measure(points, steps, device, glibc_default=sys.argv[5:] == ["glibc-default"])
        if int(os.environ.get("RANK", "0")) == 0:
            print(json.dumps(row))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("points", "processes"))
    parser.add_argument("--points", type=int, nargs="+")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--glibc-default", action="store_true", help="without pinnsolve's allocator setting")
    args = parser.parse_args()
    if args.what == "points":
        args.points = args.points or [1000 * 4**k for k in range(6)]
        scale_points(args)
    else:
        args.points = args.points or [100_000]
        compare_processes(args)


if __name__ == "__main__":
    main()
