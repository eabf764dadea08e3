"""Loss weighting: how much each named loss term counts in the total ``Σ λ_i L_i``.

A strategy is any callable ``weighting(losses, step, ctx) -> {name: λ}``. ``losses`` maps each term
name to its (scalar tensor) loss at this step; ``ctx`` gives lazy access to the per-term parameter
gradients (``ctx.gradients(name)``), so strategies that need no gradients pay nothing for them.
Weights are plain floats: they are not differentiated through.
"""

from collections.abc import Callable, Mapping
from typing import Protocol

import torch


class GradientContext:
    """Per-term gradients with respect to the trainable parameters, computed only when asked for."""

    def __init__(self, losses: Mapping[str, torch.Tensor], parameters: list[torch.Tensor]):
        self._losses = losses
        self._parameters = parameters
        self._cache: dict[str, list[torch.Tensor]] = {}

    def gradients(self, name: str) -> list[torch.Tensor]:
        if name not in self._cache:
            grads = torch.autograd.grad(self._losses[name], self._parameters, retain_graph=True, allow_unused=True)
            self._cache[name] = [torch.zeros_like(p) if g is None else g for g, p in zip(grads, self._parameters)]
        return self._cache[name]


class Weighting(Protocol):
    def __call__(self, losses: Mapping[str, torch.Tensor], step: int, ctx: GradientContext) -> dict[str, float]: ...


class Fixed:
    """Constant weights given per term name; terms not named weigh 1."""

    def __init__(self, weights: Mapping[str, float] | None = None):
        self.weights = dict(weights or {})
        for name, value in self.weights.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"weight of {name!r} must be a non-negative number, got {value!r}")

    def __call__(self, losses, step, ctx) -> dict[str, float]:
        unknown = set(self.weights) - set(losses)
        if unknown:
            raise ValueError(f"weight given for unknown term {sorted(unknown)[0]!r}; terms are {', '.join(losses)}")
        return {name: float(self.weights.get(name, 1.0)) for name in losses}


WEIGHTINGS: dict[str, Callable[..., Weighting]] = {"fixed": Fixed}
