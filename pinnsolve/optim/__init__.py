"""Optimizers by name: pinnsolve's Adan, and every first-order optimizer of ``torch.optim``."""

import inspect

import torch

from pinnsolve.optim.adan import Adan

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {"adan": Adan} | {
    name.lower(): cls for name, cls in vars(torch.optim).items()
    if inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer) and cls not in (torch.optim.Optimizer, torch.optim.LBFGS)
}


def build_optimizer(name: str, params, **options) -> torch.optim.Optimizer:
    """``build_optimizer("adam", net.parameters(), lr=1e-3)``; unknown names and options raise ValueError."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(sorted(OPTIMIZERS))}")
    cls = OPTIMIZERS[name]
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "params"}
    unknown = set(options) - accepted
    if unknown:
        raise ValueError(f"optimizer {name!r} has no option {sorted(unknown)[0]!r}; it takes {', '.join(sorted(accepted))}")
    return cls(params, **options)


__all__ = ["Adan", "OPTIMIZERS", "build_optimizer"]
