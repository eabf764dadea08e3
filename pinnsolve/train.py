"""The training loop: sample points, evaluate the loss terms, weight them, step the optimizer.

Two phases. The first runs a first-order optimizer (Adan by default) for ``iterations`` steps with
optional resampling, learning-rate schedule, gradient clipping and early stopping. The optional
second phase polishes with a method that uses curvature (:mod:`pinnsolve.polish`: L-BFGS, dense
self-scaled quasi-Newton, Levenberg–Marquardt, energy natural gradient), the loss weights frozen.
When an iteration can make no progress (a line search finds no decrease) the method is restarted
with fresh curvature. Near the minimum of a PINN loss the decrease a step can make falls below
float32 rounding, and the restart stalls again: with ``dtype: auto`` L-BFGS then continues in
float64, which costs about twice as much per iteration, so it is paid only once float32 is
exhausted (the other methods start in float64). If float64 stalls too, the polish ends early:
nothing more can be gained.
"""

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pinnsolve.checkpoint import save_checkpoint
from pinnsolve.config import DEFAULT_CONDITION_POINTS, DEFAULT_PDE_POINTS, DTYPES, TrainingConfig, check_training
from pinnsolve.distributed import Group
from pinnsolve.nets.monitor import weight_summary
from pinnsolve.objective import NonFiniteLoss, Objective, Step, Weigh, load_trained_state, move, trained_state
from pinnsolve.optim.schedules import build_schedule
from pinnsolve.polish import PolishState, build_polisher, check_polish
from pinnsolve.problem import Problem
from pinnsolve.sampling import Sampler
from pinnsolve.terms import INTERIOR, PointSet
from pinnsolve.weighting import Fixed, GradientContext, Weighting

CONSTANT_TERM_PROBE = 64  # points per set on which terms an output transform enforces exactly are found

class TrainingStopped(RuntimeError):
    """Training ended before its budget at ``step``. :func:`pinnsolve.solve` attaches the partial
    ``result`` (marked with ``status`` in its attributes) before passing the exception on."""

    status = "stopped"

    def __init__(self, message: str, step: int):
        super().__init__(message)
        self.step = step
        self.result = None


class TrainingDiverged(TrainingStopped):
    """A loss term became NaN or infinite; the network is set back to its last logged (finite) state."""

    status = "diverged"


class TrainingInterrupted(TrainingStopped):
    """The ``stop`` event was set; the run stopped at a step boundary, after saving a checkpoint."""

    status = "interrupted"


class History:
    """One row per logged step: step, wall time, lr, total loss, and each term's loss and weight."""

    def __init__(self):
        self.rows: list[dict[str, float]] = []

    def log(self, **values: float) -> None:
        self.rows.append(values)

    def arrays(self) -> dict[str, np.ndarray]:
        keys = list(dict.fromkeys(k for row in self.rows for k in row))
        return {k: np.array([row.get(k, np.nan) for row in self.rows], dtype=float) for k in keys}


@dataclass
class RunContext:
    """What a run reports to and listens to, apart from the mathematics.

    ``monitor()`` returns metrics to log with each row, such as the relative error against a
    reference; ``progress(step, total, row)`` reports each logged row. With a ``checkpoint`` path,
    the complete state of the run (:meth:`Trainer.state_dict`) is written there every
    ``checkpoint_every`` steps and at the end, with ``spec`` (the resolved spec text, to check what a
    resume continues). Setting ``stop`` (e.g. from a signal handler) ends the run at the next step
    boundary (first phase) or log chunk (polish) with a checkpoint, raising :class:`TrainingInterrupted`.
    """

    monitor: Callable[[], Mapping[str, float]] | None = None
    progress: Callable[[int, int, Mapping[str, float]], None] | None = None
    checkpoint: Path | None = None
    spec: str = ""
    stop: threading.Event | None = None


class Trainer:
    """Trains ``network`` on ``problem``: a loop of :meth:`Objective.step` between sampling,
    logging, checkpoints and stop handling (``context``).

    A fresh trainer built the same way that loads a :meth:`state_dict` (:meth:`load_state_dict`)
    continues bit for bit on the same device. With a ``group`` of several processes, each process
    keeps the whole point sets (what a checkpoint holds) and evaluates its share; only the
    group's leader writes checkpoints.
    """

    def __init__(self, problem: Problem, network: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 config: TrainingConfig, weighting: Weighting | None = None, context: RunContext | None = None,
                 group: Group | None = None):
        check_training(config, problem)
        self.problem = problem
        self.network = network
        self.group = group or Group()
        self.group.check(config, problem)
        self.objective = Objective(problem, network, config.causal, config.derivatives, config.compile, self.group,
                                   config.precision)
        if config.precision == "tf32":  # TensorFloat-32 matrix products on the GPU, for the process
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        self.optimizer = optimizer
        self.config = config
        self.weighting = weighting or Fixed()
        if hasattr(self.weighting, "check_terms"):
            self.weighting.check_terms(problem.term_names)
        self.context = context or RunContext()
        self.history = History()
        self.sampler = Sampler(config.sampler, config.seed)
        self.device = torch.device(config.device)
        self.dtype = DTYPES[config.dtype]
        self.weights = {name: 1.0 for name in problem.term_names}
        move(self.network, problem.params, self.device, self.dtype)
        probe = Sampler(config.sampler, config.seed)  # its own points: the run's sampler draws as it would without
        self.objective.leave_out_constant_terms(self._tensors(
            {name: source.sample(probe, problem.domain, CONSTANT_TERM_PROBE)
             for name, source in problem.point_sets.items() if name != INTERIOR}))
        check_polish(config.polish, sum(p.numel() for p in self.objective.parameters), self.objective.terms)
        self.step = 0
        self.phase = "first"  # then "polish", then "done"
        self.batches: dict[str, PointSet] | None = None
        self.schedule = build_schedule(config.schedule["type"], optimizer, config.iterations,
                                       **{k: v for k, v in config.schedule.items() if k != "type"}) if config.schedule else None
        self.stopper = EarlyStopping(**config.early_stopping) if config.early_stopping else None
        self.polish = PolishState()
        self._elapsed = 0.0    # training seconds before this resume (a resumed run continues the clock)
        self._started = 0.0
        self._checkpointed = 0  # step of the last checkpoint
        self._last_good: dict[str, Any] | None = None

    # -- points and the step -----------------------------------------------------------------

    def sample(self, counts: Mapping[str, int]) -> dict[str, PointSet]:
        """Points for every point set a term of the objective uses (left-out terms draw none)."""
        problem, batches = self.problem, {}
        used = {term.point_set for term in self.objective.terms}
        for name, source in problem.point_sets.items():
            if name not in used:
                continue
            n = counts.get(name, DEFAULT_PDE_POINTS if name == INTERIOR else DEFAULT_CONDITION_POINTS)
            adaptive = self.config.adaptive
            # an untrained network's residual says nothing yet: the first draw is never adaptive
            if name == INTERIOR and adaptive is not None and self.step > 0:
                candidates = self.sampler.interior(problem.domain, max(adaptive.candidates, n))
                density = self.objective.residual_magnitude(candidates, self.dtype, self.device) ** adaptive.k
                mean = density.mean()
                # A residual that vanishes everywhere carries no information: fall back to even sampling.
                # The tiny floor keeps enough candidates drawable when c = 0 and the residual is sparse.
                density = density / mean + adaptive.c + 1e-12 if 0 < mean < np.inf else np.ones_like(density)
                chosen = self.sampler.rng.choice(len(candidates), size=n, replace=False, p=density / density.sum())
                batches[name] = PointSet(candidates[chosen])
            else:
                batches[name] = source.sample(self.sampler, problem.domain, n)
        return self._tensors(batches)

    def _tensors(self, batches: Mapping[str, PointSet]) -> dict[str, PointSet]:
        return {name: points.map(lambda a: torch.tensor(a, dtype=self.dtype, device=self.device))
                for name, points in batches.items()}

    def _mini_batch(self) -> dict[str, PointSet]:
        """This step's points: for a set with a ``batch_size``, the next run of that many of its
        points (Sobol' points in a run of a power of two are themselves evenly spread)."""
        sizes = self.config.batch_size
        return {name: points.cycle(sizes[name], self.step) if name in sizes and sizes[name] < len(points) else points
                for name, points in self.batches.items()}

    def _step(self, weigh: Weigh, batches: Mapping[str, PointSet] | None = None) -> Step:
        """One :meth:`Objective.step` on ``batches`` (the current points); a non-finite loss sets the
        network back to its last logged state and stops the run."""
        try:
            return self.objective.step(self.group.shard(self.batches if batches is None else batches), weigh)
        except NonFiniteLoss as error:
            if self._last_good is not None:
                load_trained_state(self.network, self.problem.params, self._last_good)
            raise TrainingDiverged(f"{error} at step {self.step}; try a smaller learning rate or gradient clipping",
                                   self.step) from None

    def _snapshot(self) -> dict[str, Any]:
        state = trained_state(self.network, self.problem.params)
        return {part: {k: v.clone() for k, v in values.items()} for part, values in state.items()}

    # -- the two phases ----------------------------------------------------------------------

    def run(self) -> History:
        self._started = time.perf_counter() - self._elapsed
        move(self.network, self.problem.params, self.device, self.dtype)
        self._checkpointed = self.step
        if self.phase == "first":
            self._first_order_phase()
            self.phase = "polish"
        if self.phase == "polish" and self.config.polish.iterations > 0:
            if self.polish.optimizer is None:
                self._begin_polish()
            self._polish_phase()
        self.phase = "done"
        if self.context.checkpoint is not None:
            self.save_checkpoint()  # a finished run can still be continued with more iterations
        return self.history

    def _boundary(self) -> None:
        """Between steps, where the whole state is consistent: checkpoint when due, stop when asked."""
        every = self.config.checkpoint_every
        due = every > 0 and self.step // every > self._checkpointed // every
        stopping = self.group.agree(self.context.stop is not None and self.context.stop.is_set())
        if self.context.checkpoint is not None and (due or stopping):
            self.save_checkpoint()
        if stopping:
            raise TrainingInterrupted(f"interrupted at step {self.step}", self.step)

    def _first_order_phase(self) -> None:
        config = self.config
        if self.batches is None:
            self.batches = self.sample(config.points)
        while self.step < config.iterations:
            self._boundary()
            if config.resample_every and self.step and self.step % config.resample_every == 0:
                self.batches = self.sample(config.points)
            step = self._step(lambda losses, context: self.weighting(losses, self.step, context),
                              self._mini_batch() if config.batch_size else None)
            self.weights = step.weights
            if config.clip_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(self.objective.parameters, config.clip_grad_norm)
            self.optimizer.step()
            self.step += 1
            if self.schedule is not None:
                self.schedule.step(step.total.item())
            stop = self.stopper is not None and self.stopper.should_stop(step.total.item())
            if stop or self.step % config.log_every == 0 or self.step == config.iterations:
                # with mini-batches, the history records the losses over the whole sets
                self._log(*(self._weighted_losses(step.weights) if config.batch_size else (step.losses, step.total)),
                          self.optimizer)
            if stop:
                break

    def _begin_polish(self) -> None:
        config = self.config.polish
        if config.dtype != "auto":
            self.dtype = DTYPES[config.dtype]
        elif config.type != "lbfgs":  # "auto": L-BFGS starts in the first phase's precision
            self.dtype = torch.float64
        move(self.network, self.problem.params, dtype=self.dtype)
        self.batches = self.sample(config.points or self.config.points)
        if self.step == 0:  # no first phase: let the weighting see the losses once
            losses = self.objective.losses(self.group.shard(self.batches))
            self.weights = self.weighting(losses, 0, GradientContext(losses, self.objective.parameters, self.group))
        # a second-order method needs one fixed objective: the weights are frozen
        self.polish = PolishState(self._new_polisher(), dict(self.weights), start=self.step)

    def _polish_phase(self) -> None:
        config, state = self.config.polish, self.polish

        def closure():
            return self._step(lambda losses, context: state.weights).total

        end = state.start + config.iterations
        while self.step < end:
            self._boundary()
            if config.resample_every and state.since_sampled >= config.resample_every:
                self.batches, state.since_sampled = self.sample(config.points or self.config.points), 0
                if isinstance(state.optimizer, torch.optim.LBFGS):  # its curvature pairs belong to the old objective
                    state.optimizer = self._new_polisher()
                else:  # a dense or Gauss–Newton method carries its curvature (or damping) over
                    state.optimizer.forget_objective()
            chunk = min(self.config.log_every, end - self.step)
            if config.resample_every:
                chunk = min(chunk, config.resample_every - state.since_sampled)
            # A generous evaluation budget, so a chunk ends on its iteration count unless the method stalls.
            state.optimizer.param_groups[0].update(max_iter=chunk, max_eval=10 * chunk)
            before = state.iterations()
            state.optimizer.step(closure)
            done = state.iterations() - before
            self.step += done
            state.since_sampled += done
            self._log(*self._weighted_losses(state.weights), state.optimizer)
            if done == chunk:
                state.stalls = 0
                continue
            # No progress. Once: restart with fresh curvature. Twice in a row: float32 rounding
            # hides the remaining decrease, so continue in float64 ("auto"), or stop where the
            # precision is exhausted.
            state.stalls += 1
            if state.stalls >= 2:
                if self.dtype == torch.float64 or config.dtype != "auto":
                    break
                self.dtype, state.stalls = torch.float64, 0
                move(self.network, self.problem.params, dtype=self.dtype)
                self.batches = {name: points.map(lambda t: t.to(self.dtype)) for name, points in self.batches.items()}
            state.optimizer = self._new_polisher()

    def _new_polisher(self) -> torch.optim.Optimizer:
        return build_polisher(self.config.polish, self.objective.parameters, self.config.log_every,
                              lambda: self.objective.residual_blocks(self.batches, self.polish.weights),
                              lambda: float(self._weighted_losses(self.polish.weights)[1]))

    def _weighted_losses(self, weights: Mapping[str, float]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """The losses at the current parameters and their weighted total, without a gradient."""
        losses = {name: loss.detach() for name, loss in self.objective.losses(self.group.shard(self.batches)).items()}
        return losses, sum(weights[name] * loss for name, loss in losses.items())

    def _log(self, losses: Mapping[str, torch.Tensor], total: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        row = {"step": self.step, "time": time.perf_counter() - self._started, "phase": float(self.phase == "polish"),
               "lr": optimizer.param_groups[0]["lr"], "precision": torch.finfo(self.dtype).bits,
               "total": float(total.detach())}
        row |= {f"loss/{name}": float(losses[name].detach()) if name in losses else 0.0 for name in self.problem.term_names}
        row |= {f"weight/{name}": float(self.weights[name]) for name in losses}
        row |= {f"causal/{name}": weight for name, weight in self.objective.causal_weights.items()}
        row |= {f"param/{name}": value for name, value in self.problem.params.numbers(trainable_only=True).items()}
        row |= weight_summary(self.network)
        if self.context.monitor is not None:
            row |= dict(self.context.monitor())
        self.history.log(**row)
        self._last_good = self._snapshot()  # what a divergence falls back to: the state this row describes
        if self.context.progress is not None:
            self.context.progress(self.step, self.config.iterations + self.config.polish.iterations, row)

    # -- checkpoints ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything the run depends on, as tensors and plain data (loadable with
        ``torch.load(weights_only=True)``)."""
        return {
            "step": self.step, "phase": self.phase, "dtype": str(self.dtype).removeprefix("torch."),
            "elapsed": time.perf_counter() - self._started if self._started else self._elapsed,
            "weights": dict(self.weights),
            **trained_state(self.network, self.problem.params),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict() if self.schedule is not None else None,
            "early_stopping": vars(self.stopper) if self.stopper is not None else None,
            "weighting": self.weighting.state_dict() if hasattr(self.weighting, "state_dict") else None,
            "sampler": self.sampler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "batches": None if self.batches is None else {name: points.state_dict() for name, points in self.batches.items()},
            "history": self.history.rows,
            "polish": None if self.polish.optimizer is None else self.polish.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`state_dict` of a run with the same problem, network and options."""
        self.step, self.phase, self._elapsed = state["step"], state["phase"], state["elapsed"]
        self.dtype = DTYPES[state["dtype"]]
        self.weights = dict(state["weights"])
        move(self.network, self.problem.params, self.device, self.dtype)
        load_trained_state(self.network, self.problem.params, state)
        self.optimizer.load_state_dict(state["optimizer"])
        if self.schedule is not None and state["schedule"] is not None:
            self.schedule.load_state_dict(state["schedule"])
        if self.stopper is not None and state["early_stopping"] is not None:
            vars(self.stopper).update(state["early_stopping"])
        if state["weighting"] is not None:
            self.weighting.load_state_dict(state["weighting"])
        self.sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["torch_rng"])
        self.batches = None if state["batches"] is None else {
            name: PointSet.from_state_dict(points).map(lambda t: t.to(device=self.device))
            for name, points in state["batches"].items()}
        self.history.rows = [dict(row) for row in state["history"]]
        if state["polish"] is not None:
            self.polish = PolishState.from_state_dict(self._new_polisher(), state["polish"])
        if self.phase == "done":  # a finished run resumed with a larger budget goes on where it can
            stopped_early = self.stopper is not None and self.stopper.waited >= self.stopper.patience
            first_phase_left = self.polish.optimizer is None and not stopped_early and self.step < self.config.iterations
            self.phase = "first" if first_phase_left else "polish"
        self._last_good = self._snapshot()

    def save_checkpoint(self) -> None:
        if self.group.leader:
            save_checkpoint(self.context.checkpoint, self.state_dict(), self.context.spec)
        self._checkpointed = self.step


class EarlyStopping:
    """Stop when the total loss has not improved by a relative ``min_delta`` for ``patience`` steps."""

    def __init__(self, patience: int = 1000, min_delta: float = 0.0):
        if patience < 1 or min_delta < 0:
            raise ValueError("early_stopping: patience must be at least 1 and min_delta non-negative")
        self.patience, self.min_delta = patience, min_delta
        self.best, self.waited = math.inf, 0

    def should_stop(self, loss: float) -> bool:
        if loss < self.best * (1 - self.min_delta):
            self.best, self.waited = loss, 0
        else:
            self.waited += 1
        return self.waited >= self.patience
