"""One process of a data-parallel run, started by tests/test_distributed.py under torchrun (or
alone): trains the spec given on the command line and saves what every process saw to
OUT/rank<r>.npz (its final weights, the loss weights it used, the losses and the process count)."""

import sys
from pathlib import Path

import numpy as np

from pinnsolve.solve import solve
from pinnsolve.spec import load_spec


def main(spec_path: str, out: str) -> None:
    spec = load_spec(spec_path)
    result = solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes, spec=spec.text)
    import torch.distributed as dist

    rank = dist.get_rank() if dist.is_initialized() else 0
    arrays = {f"state/{k}": v for k, v in result.model_state.items()}
    arrays |= {f"history/{k}": v for k, v in result.history.items() if k.startswith(("weight/", "loss/", "total"))}
    np.savez(Path(out) / f"rank{rank}.npz", processes=result.attrs["processes"], **arrays)
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
