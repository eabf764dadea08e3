"""The objective: a problem's loss terms on a network, the tensors it trains, and one training step.

:meth:`Objective.step` is the unit of training: points in; the losses, their weights, the weighted
total and the gradient of every trainable tensor out. Both phases of the training loop call it, and
it is what data-parallel training (an all-reduce of the gradients) and mini-batches wrap; sampling,
logging, checkpoints and stopping live in the loop around it (:mod:`pinnsolve.train`).
"""

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pinnsolve.causal import CausalWeighting
from pinnsolve.derivatives import Engine, Fields
from pinnsolve.distributed import Group
from pinnsolve.host_memory import keep_freed_memory
from pinnsolve.problem import Params, Problem
from pinnsolve.taylor import forward_engine
from pinnsolve.terms import INTERIOR, PointSet, Term, mean_square
from pinnsolve.weighting import GradientContext

Weigh = Callable[[Mapping[str, torch.Tensor], GradientContext], Mapping[str, float]]


def trainable(network: torch.nn.Module, params: Params) -> list[torch.Tensor]:
    """Every tensor a run trains: the network's weights, then the problem's unknown parameters. The
    optimizer, the L-BFGS polish, the weighting's gradients, checkpoints and the result use this list."""
    return [p for p in network.parameters() if p.requires_grad] + list(params.trainable().values())


def move(network: torch.nn.Module, params: Params, device: torch.device | str | None = None,
         dtype: torch.dtype | None = None) -> None:
    """Move the network and the tensor parameters in place, so that optimizers holding them follow."""
    network.to(device=device, dtype=dtype)
    for value in params.tensors().values():
        value.data = value.data.to(device=device, dtype=dtype)


def trained_state(network: torch.nn.Module, params: Params) -> dict[str, Any]:
    """The values of everything trained, as tensors: what a checkpoint stores and a divergence restores."""
    return {"network": network.state_dict(),
            "params": {name: value.detach() for name, value in params.trainable().items()}}


def load_trained_state(network: torch.nn.Module, params: Params, state: Mapping[str, Any]) -> None:
    """Set :func:`trained_state` back in place, in the tensors' current device and precision."""
    network.load_state_dict(state["network"])
    for name, value in params.trainable().items():
        value.data = state["params"][name].to(device=value.device, dtype=value.dtype)


def compiled(engine: Engine) -> Engine:
    """``engine`` compiled by ``torch.compile`` (kernels fused across the layers' elementwise work),
    or, where compiling fails (no C++ compiler for the CPU backend, say), ``engine`` itself after a
    warning. Compiled once per point count and precision: the training loop keeps both fixed."""
    # Weightings that take each term's gradient walk the backward graph more than once, which
    # buffers donated to a compiled backward forbid (they are freed by its first pass). The setting
    # is read when a backward is compiled, lazily, so it is set for the process.
    if hasattr(torch._functorch.config, "donated_buffer"):  # torch >= 2.5
        torch._functorch.config.donated_buffer = False
    # Every engine runs the same Python code, so its graphs (one per network, plan, point count and
    # precision: several per run, more when one process solves several problems) count against
    # one recompile limit, past which torch runs the code uncompiled.
    limit = "recompile_limit" if hasattr(torch._dynamo.config, "recompile_limit") else "cache_size_limit"
    setattr(torch._dynamo.config, limit, max(getattr(torch._dynamo.config, limit), 256))
    function: Engine = torch.compile(engine)

    def call(points: torch.Tensor):
        nonlocal function
        try:
            return function(points)
        except Exception as error:  # noqa: BLE001 - any failure of the compiler stack
            if function is engine:
                raise
            first_line = str(error).splitlines()[0] if str(error) else ""
            warnings.warn(f"torch.compile failed ({type(error).__name__}: {first_line}); training continues "
                          "without compiling", RuntimeWarning, stacklevel=2)
            function = engine
            return function(points)

    return call


class NonFiniteLoss(ArithmeticError):
    """A loss term evaluated to NaN or ±inf."""

    def __init__(self, term: str, value: float):
        super().__init__(f"loss term {term!r} became {value}")
        self.term, self.value = term, value


@dataclass
class Step:
    losses: dict[str, torch.Tensor]
    weights: dict[str, float]
    total: torch.Tensor
    gradients: list[torch.Tensor | None]  # of Objective.parameters, also left in their .grad


class Objective:
    """The loss terms of ``problem`` evaluated with ``network``; interior terms reduced with
    ``causal`` weights in time when given (:mod:`pinnsolve.causal`). With a ``group`` of several
    processes, the points given are this process's share and losses and gradients are summed
    over the processes (:mod:`pinnsolve.distributed`)."""

    def __init__(self, problem: Problem, network: torch.nn.Module, causal: CausalWeighting | None = None,
                 derivatives: str = "forward", compile: bool = False, group: Group | None = None,
                 precision: str = "highest"):
        self.problem = problem
        self.precision = precision
        self.network = network
        self.terms = list(problem.terms)
        self.group = group or Group()
        # per point set: the forward-mode engine for what its terms read (None: nested autograd),
        # and what the loss evaluates with, compiled or not
        self.engines: dict[str, Engine | None] = {}
        if derivatives == "forward":
            for name in dict.fromkeys(term.point_set for term in self.terms):
                reads = [term.reads for term in self.terms if term.point_set == name]
                known = None if any(r is None for r in reads) else set().union(*reads)
                self.engines[name] = forward_engine(network, known, problem.fields, problem.domain.variables)
        self.evaluators = {name: compiled(engine) if compile and engine is not None else engine
                           for name, engine in self.engines.items()}
        self.parameters = trainable(network, problem.params)
        if any(p.device.type == "cpu" for p in self.parameters):
            keep_freed_memory()
        self.constant: list[str] = []  # terms left out by leave_out_constant_terms
        self.causal = causal
        if causal is not None:
            self.time_index = problem.domain.index(causal.variable)
            self.time_range = problem.domain.bounds[causal.variable]
        self.causal_weights: dict[str, float] = {}  # the smallest causal weight of each interior term, last evaluated

    def leave_out_constant_terms(self, batches: Mapping[str, PointSet]) -> None:
        """Leave out the condition terms that no trainable tensor can change: those an output
        transform enforces exactly (u = -sin(πx) + t·(1 - x²)·N(x, t) fixes u on t = 0 and x = ±1
        whatever N is). Computing them would cost a network evaluation per step, and their loss is
        rounding (sin(π) ≠ 0 in floating point), so they are recorded as exactly zero.

        A term is constant when the gradient of an irregularly weighted sum of its residuals, Σ vᵢ rᵢ,
        with respect to every trainable tensor is exactly zero at ``batches``: a structural zero
        (a factor that vanishes on the side), not a small one. The residual itself is not used,
        since a network that happens to satisfy a condition at its start is not one that must."""
        conditions = [term for term in self.terms if term.point_set != INTERIOR]
        for term, residual in self.residuals(batches, conditions):
            if residual.requires_grad:
                # 1 + frac(i·φ): distinct, irregular, and drawn from no random generator
                weights = torch.arange(residual.numel(), dtype=residual.dtype, device=residual.device)
                weights = weights.mul(0.6180339887498949).frac().add(1).reshape(residual.shape)
                gradients = torch.autograd.grad((weights * residual).sum(), self.parameters, retain_graph=True,
                                                allow_unused=True)
                if any(g is not None and bool(g.any()) for g in gradients):
                    continue
            self.constant.append(term.name)
        self.terms = [term for term in self.terms if term.name not in self.constant]

    def residuals(self, batches: Mapping[str, PointSet], terms: Iterable[Term],
                  compiled: bool = False) -> Iterator[tuple[Term, torch.Tensor]]:
        """Each term with its residual at its points; terms on the same point set share one network
        evaluation and its derivatives. ``compiled``: evaluate with the compiled engines, for the
        fixed point counts of training (other shapes would compile again)."""
        engines = self.evaluators if compiled else self.engines
        fields: dict[str, Fields] = {}
        for term in terms:
            if term.point_set not in fields:
                points = batches[term.point_set]
                fields[term.point_set] = Fields(points.points, self.network, self.problem.fields,
                                                self.problem.domain.variables, points.data,
                                                engines.get(term.point_set))
            yield term, term.residual(fields[term.point_set], self.problem.params)

    def losses(self, batches: Mapping[str, PointSet]) -> dict[str, torch.Tensor]:
        # bf16: the network, its derivatives and the residuals in bfloat16 where autocast allows
        # (matrix products and their neighbours), in every float32 phase; autocast leaves float64 alone
        device = next(iter(batches.values())).points.device.type
        with torch.autocast(device, torch.bfloat16, enabled=self.precision == "bf16"):
            if self.group.size > 1:
                return self._shared_losses(batches)
            return self._local_losses(batches)

    def _local_losses(self, batches: Mapping[str, PointSet]) -> dict[str, torch.Tensor]:
        losses = {}
        for term, residual in self.residuals(batches, self.terms, compiled=True):
            if self.causal is not None and term.point_set == INTERIOR:
                t = batches[INTERIOR].points[:, self.time_index]
                losses[term.name], self.causal_weights[term.name] = self.causal.reduce(residual, t, *self.time_range)
            else:
                losses[term.name] = term.reduction(residual)
        return losses

    def _shared_losses(self, batches: Mapping[str, PointSet]) -> dict[str, torch.Tensor]:
        """Each term's mean square over every process's points: this process's sum of squares over
        the global count, carrying the global value (the sum of the shares) and the gradient of
        its own share, which :meth:`step` adds up across the processes."""
        sums, counts = {}, []
        for term, residual in self.residuals(batches, self.terms, compiled=True):
            sums[term.name] = residual.square().sum()
            counts.append(residual.numel())
        reference = next(iter(sums.values()))
        counts = self.group.sum(torch.tensor(counts, dtype=reference.dtype, device=reference.device))
        shares = {name: total / count for (name, total), count in zip(sums.items(), counts)}
        values = self.group.sum(torch.stack(list(shares.values())))
        return {name: share + (value - share).detach() for (name, share), value in zip(shares.items(), values)}

    def step(self, batches: Mapping[str, PointSet], weigh: Weigh) -> Step:
        """Losses, weights from ``weigh(losses, gradient_context)``, the weighted total, and its
        gradient. Raises :class:`NonFiniteLoss` before weighting when a term is not finite."""
        losses = self.losses(batches)
        for name, loss in losses.items():
            if not torch.isfinite(loss):
                raise NonFiniteLoss(name, loss.item())
        weights = dict(weigh(losses, GradientContext(losses, self.parameters, self.group)))
        total = sum(weights[name] * loss for name, loss in losses.items())
        for parameter in self.parameters:
            parameter.grad = None
        total.backward()
        if self.group.size > 1:
            summed = self.group.sum_gradients([p.grad for p in self.parameters], self.parameters)
            for parameter, gradient in zip(self.parameters, summed):
                parameter.grad = gradient
        return Step(losses, weights, total, [p.grad for p in self.parameters])

    def residual_blocks(self, batches: Mapping[str, PointSet], weights: Mapping[str, float],
                        size: int = 32) -> Iterator[torch.Tensor]:
        """The weighted residual vector r, for which Σ weight·loss = ‖r‖², in pieces of about ``size``
        values: each term's residuals scaled by √(weight / N), N the number of its residual values,
        the terms on one point set together, a few points at a time (what Gauss–Newton methods
        differentiate one piece at a time). Needs plain mean-square terms (no causal weighting)."""
        if self.causal is not None or any(term.reduction is not mean_square for term in self.terms):
            raise ValueError("the residual vector needs plain mean-square loss terms, without causal weighting")
        by_set: dict[str, list[Term]] = {}
        for term in self.terms:
            if weights[term.name] > 0:
                by_set.setdefault(term.point_set, []).append(term)
        for name, terms in by_set.items():
            points, scales, start, step = batches[name], {}, 0, 1
            while start < len(points):
                part = points.rows(start, start + step)
                pieces = []
                for term, residual in self.residuals({name: part}, terms):
                    if term.name not in scales:  # the first point tells how many values a point has
                        per_point = residual.numel() // len(part)
                        scales[term.name] = math.sqrt(weights[term.name] / (per_point * len(points)))
                    pieces.append(scales[term.name] * residual.reshape(-1))
                block = torch.cat(pieces)
                yield block
                start += len(part)
                step = max(1, size * len(part) // len(block))

    def residual_magnitude(self, points: np.ndarray, dtype: torch.dtype, device: torch.device,
                           chunk: int = 16384) -> np.ndarray:
        """|r| at interior points (the Euclidean norm over all interior terms), without a parameter graph."""
        interior = [term for term in self.terms if term.point_set == INTERIOR]
        values = []
        for part in torch.tensor(points, dtype=dtype, device=device).split(chunk):
            squares = sum(residual.detach().square() for _, residual in self.residuals({INTERIOR: PointSet(part)}, interior))
            values.append(torch.as_tensor(squares).expand(len(part)).sqrt().double().cpu().numpy())
        return np.concatenate(values)
