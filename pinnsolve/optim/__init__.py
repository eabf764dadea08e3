"""Optimizers by name: pinnsolve's Adan, and every first-order optimizer of ``torch.optim``."""

import inspect

import torch

from pinnsolve.optim.adan import Adan

# L-BFGS runs as the polish phase; SparseAdam needs sparse gradients and Muon matrix-only parameters,
# which a coordinate network with biases does not have.
_EXCLUDED = {"Optimizer", "LBFGS", "SparseAdam", "Muon"}
OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {"adan": Adan} | {
    name.lower(): cls for name, cls in vars(torch.optim).items()
    if inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer) and name not in _EXCLUDED
}


def optimizer_options(name: str) -> list[str]:
    """The keyword options the named optimizer takes (besides the parameters)."""
    return list(optimizer_defaults(name))


def optimizer_defaults(name: str) -> dict[str, object]:
    """The keyword options of the named optimizer with their default values."""
    return {p.name: p.default for p in inspect.signature(OPTIMIZERS[name].__init__).parameters.values()
            if p.name not in ("self", "params")}


def build_optimizer(name: str, params, **options) -> torch.optim.Optimizer:
    """``build_optimizer("adam", net.parameters(), lr=1e-3)``; unknown names and options raise ValueError."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(sorted(OPTIMIZERS))}")
    cls = OPTIMIZERS[name]
    accepted = optimizer_options(name)
    unknown = set(options) - set(accepted)
    if unknown:
        raise ValueError(f"optimizer {name!r} has no option {sorted(unknown)[0]!r}; it takes {', '.join(accepted)}")
    return cls(params, **options)


__all__ = ["Adan", "OPTIMIZERS", "build_optimizer", "optimizer_defaults", "optimizer_options"]
