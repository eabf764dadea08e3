"""Learning-rate schedules by name, each a thin layer over ``torch.optim.lr_scheduler``.

``exponential``: lr decays geometrically to ``factor`` × lr over the run (default 0.1).
``cosine``: cosine annealing from lr to ``factor`` × lr over the run (default 0).
``plateau``: lr × ``factor`` (default 0.5) when the total loss has not improved for ``patience``
steps (default 500).
"""

import torch
from torch.optim import lr_scheduler

SCHEDULES = {"exponential": {"factor": 0.1}, "cosine": {"factor": 0.0}, "plateau": {"factor": 0.5, "patience": 500}}


def build_schedule(kind: str, optimizer: torch.optim.Optimizer, iterations: int, **options):
    """A scheduler whose ``step(loss)`` is called once per training step (``loss`` is used by plateau only)."""
    if kind not in SCHEDULES:
        raise ValueError(f"unknown schedule {kind!r}; expected one of {', '.join(SCHEDULES)}")
    unknown = set(options) - set(SCHEDULES[kind])
    if unknown:
        raise ValueError(f"schedule {kind!r} has no option {sorted(unknown)[0]!r}; it takes {', '.join(SCHEDULES[kind])}")
    settings = SCHEDULES[kind] | options
    factor = settings["factor"]
    if kind == "exponential":
        if not 0 < factor <= 1:
            raise ValueError("exponential schedule: factor must lie in (0, 1]")
        return _LossIgnored(lr_scheduler.ExponentialLR(optimizer, gamma=factor ** (1 / max(iterations, 1))))
    if kind == "cosine":
        if not 0 <= factor <= 1:
            raise ValueError("cosine schedule: factor must lie in [0, 1]")
        eta_min = factor * optimizer.param_groups[0]["lr"]
        return _LossIgnored(lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(iterations, 1), eta_min=eta_min))
    if not 0 < factor < 1 or settings["patience"] < 1:
        raise ValueError("plateau schedule: factor must lie in (0, 1) and patience be at least 1")
    return lr_scheduler.ReduceLROnPlateau(optimizer, factor=factor, patience=int(settings["patience"]))


class _LossIgnored:
    """Gives step-only schedulers the ``step(loss)`` signature of ReduceLROnPlateau."""

    def __init__(self, scheduler):
        self.scheduler = scheduler

    def step(self, loss=None):
        self.scheduler.step()

    def state_dict(self):
        return self.scheduler.state_dict()

    def load_state_dict(self, state):
        self.scheduler.load_state_dict(state)
