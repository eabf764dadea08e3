"""The polish phase's optimizers: built from a :class:`PolishConfig`, checked against the network
before training starts, and stepped by the training loop in log-sized chunks.

``lbfgs`` is torch's L-BFGS; ``bfgs``, ``ssbfgs`` and ``ssbroyden`` keep a dense inverse Hessian
(:mod:`pinnsolve.optim.quasi_newton`); ``lm`` and ``natural_gradient`` solve with the Gramian of
the residual vector (:mod:`pinnsolve.optim.gauss_newton`). Every one is a ``torch.optim.Optimizer``
whose ``step(closure)`` runs up to ``max_iter`` iterations and counts them in ``state["n_iter"]``,
so the loop treats them alike.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch

from pinnsolve.config import PolishConfig
from pinnsolve.errors import SpecError
from pinnsolve.optim.gauss_newton import METHODS as GAUSS_NEWTON
from pinnsolve.optim.gauss_newton import GaussNewton
from pinnsolve.optim.quasi_newton import UPDATES as DENSE
from pinnsolve.optim.quasi_newton import DenseQuasiNewton
from pinnsolve.terms import Term, mean_square

# The dense methods hold an n × n float64 matrix (and Gauss–Newton a second one while solving):
# 20,000 trainable values make 3.2 GB each.
DENSE_LIMIT = 20_000


def check_polish(config: PolishConfig, parameters: int, terms: Iterable[Term] = ()) -> None:
    """Refuse, before training, a polish that a network of ``parameters`` trainable values or the
    loss ``terms`` cannot have (the spec checks what it knows, the trainer the rest)."""
    if config.iterations == 0 or config.type == "lbfgs":
        return
    if parameters > DENSE_LIMIT:
        raise SpecError("training.polish.type", f"{config.type} keeps dense {parameters:,} × {parameters:,} matrices; "
                                                f"it takes at most {DENSE_LIMIT:,} trainable values: use type lbfgs "
                                                "for this network")
    custom = [term.name for term in terms if term.reduction is not mean_square]
    if config.type in GAUSS_NEWTON and custom:
        raise SpecError("training.polish.type", f"{config.type} needs mean-square loss terms; {custom[0]!r} has its "
                                                "own reduction: use type ssbroyden")


def build_polisher(config: PolishConfig, parameters: list[torch.Tensor], max_iter: int,
                   blocks: Callable[[], Iterable[torch.Tensor]], loss: Callable[[], float]) -> torch.optim.Optimizer:
    """A fresh optimizer of ``config.type``; ``blocks`` and ``loss`` are what the Gauss–Newton
    methods evaluate (the residual vector in pieces, and ‖r‖² alone)."""
    if config.type in DENSE:
        return DenseQuasiNewton(parameters, update=config.type, max_iter=max_iter)
    if config.type in GAUSS_NEWTON:
        return GaussNewton(parameters, blocks, loss, method=config.type, damping=config.damping, max_iter=max_iter)
    # Zero tolerances: torch's defaults (1e-7, 1e-9) end the polish long before convergence.
    return torch.optim.LBFGS(parameters, lr=1.0, max_iter=max_iter, history_size=config.history,
                             tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe")


@dataclass
class PolishState:
    """The polish phase's optimizer and its bookkeeping, kept between log chunks."""

    optimizer: torch.optim.Optimizer | None = None
    weights: dict[str, float] = field(default_factory=dict)  # frozen for the whole phase
    start: int = 0         # the step the phase began at
    stalls: int = 0        # chunks in a row that ended early without progress
    since_sampled: int = 0

    def iterations(self) -> int:
        """Iterations the optimizer has made since it was built."""
        state = self.optimizer.state[self.optimizer.param_groups[0]["params"][0]]
        return state.get("n_iter", 0)

    def state_dict(self) -> dict:
        return {"optimizer": self.optimizer.state_dict(), "weights": self.weights, "start": self.start,
                "stalls": self.stalls, "since_sampled": self.since_sampled}

    @classmethod
    def from_state_dict(cls, optimizer: torch.optim.Optimizer, saved: Mapping) -> "PolishState":
        optimizer.load_state_dict(saved["optimizer"])
        return cls(optimizer, dict(saved["weights"]), saved["start"], saved["stalls"], saved["since_sampled"])
