"""Data-parallel training on torch.distributed (one node or several, started by ``torchrun``).

Every process draws the same global point set that a one-process run draws and evaluates its own
contiguous share of each point set (periodic pairs stay together). A mean-square loss term is a
sum over points divided by the global count, so each process computes its share of the sum; the
shares are added across processes (an all-reduce) for the values that weighting strategies,
logging, divergence checks and line searches see, and the gradients of the shares are added the
same way. Every process therefore holds the same losses, weights and gradients, takes the same
optimizer step, and the run equals a one-process run up to the order of floating-point sums.
"""

import datetime
import os
from collections.abc import Mapping

import torch
import torch.distributed as dist

from pinnsolve.errors import SpecError
from pinnsolve.optim.gauss_newton import METHODS as GAUSS_NEWTON
from pinnsolve.sampling import split_count
from pinnsolve.terms import PointSet, mean_square

# How long a collective waits for the other processes before it fails: past it, one of them hangs.
# (A process that exits closes its connections, which fails the others' next collective at once.)
# Generous, since the others wait while the leader alone writes a checkpoint or evaluates the grid.
TIMEOUT = datetime.timedelta(minutes=10)


class ProcessLost(RuntimeError):
    """Another process of the run stopped answering (it failed, was killed, or hangs)."""


def _all_reduce(tensor: torch.Tensor, op=dist.ReduceOp.SUM) -> None:
    try:
        dist.all_reduce(tensor, op=op)
    except RuntimeError as error:  # gloo and nccl report a lost peer as a plain RuntimeError
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ProcessLost(reason) from error


class Group:
    """The processes of a run. A single process is the group of one, where every operation is the
    identity, so the same code trains with one process or many."""

    def __init__(self, rank: int = 0, size: int = 1, device: str = "cpu"):
        self.rank, self.size, self.device = rank, size, torch.device(device)

    @classmethod
    def from_environment(cls, device: str = "cpu") -> "Group":
        """The group ``torchrun`` started this process in (its WORLD_SIZE, RANK and rendezvous
        variables), joined with the gloo backend on the CPU and nccl on CUDA; a group of one when
        the process was started alone."""
        size = int(os.environ.get("WORLD_SIZE", "1"))
        if size == 1:
            return cls()
        if not dist.is_initialized():
            cuda = torch.device(device).type == "cuda"
            if cuda:
                torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group("nccl" if cuda else "gloo", timeout=TIMEOUT)
        return cls(dist.get_rank(), dist.get_world_size(), device)

    def check(self, config, problem) -> None:
        """Refuse what several processes cannot share: causal weights and custom reductions (they
        depend on all points of a term at once), and the Gauss–Newton polishes (they differentiate
        the residuals point by point)."""
        if self.size == 1:
            return
        if config.device.startswith("cuda:"):
            raise SpecError("training.device", f"{config.device}: with several processes, each takes the GPU of its "
                                               "LOCAL_RANK: use cuda")
        if config.causal is not None:
            raise SpecError("training.causal", f"causal weights need all interior points at once, which {self.size} "
                                               "processes share out: remove it, or run one process")
        custom = [term.name for term in problem.terms if term.reduction is not mean_square]
        if custom:
            raise SpecError("terms", f"term {custom[0]!r} has its own reduction, which {self.size} processes cannot "
                                     "share out: use the mean square, or run one process")
        if config.polish.iterations and config.polish.type in GAUSS_NEWTON:
            raise SpecError("training.polish.type", f"{config.polish.type} differentiates the residuals point by point, "
                                                    f"which {self.size} processes share out: use ssbroyden or lbfgs")

    @property
    def leader(self) -> bool:
        """The process that writes results, checkpoints and plots, and reports progress."""
        return self.rank == 0

    def shard(self, batches: Mapping[str, PointSet]) -> dict[str, PointSet]:
        """This process's contiguous share of every point set (views, no copies)."""
        if self.size == 1:
            return dict(batches)
        shares = {}
        for name, points in batches.items():
            counts = split_count(len(points), self.size)
            start = sum(counts[:self.rank])
            shares[name] = points.rows(start, start + counts[self.rank])
        return shares

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """The sum of ``tensor`` over the processes (a detached copy; every process gets the same)."""
        total = tensor.detach().clone()
        if self.size > 1:
            _all_reduce(total)
        return total

    def sum_gradients(self, gradients: list[torch.Tensor | None], like: list[torch.Tensor]) -> list[torch.Tensor]:
        """Gradients summed over the processes, as one flat all-reduce (missing ones count as zero)."""
        if self.size == 1:
            return [torch.zeros_like(p) if g is None else g for g, p in zip(gradients, like)]
        flat = torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for g, p in zip(gradients, like)])
        _all_reduce(flat)
        return [piece.view_as(p) for piece, p in zip(flat.split([p.numel() for p in like]), like)]

    def agree(self, flag: bool) -> bool:
        """Whether any process says yes: a stop asked of one process (a signal) stops all at the same step."""
        if self.size == 1:
            return flag
        value = torch.tensor([float(flag)], device=self.device)
        _all_reduce(value, dist.ReduceOp.MAX)
        return bool(value.item())
