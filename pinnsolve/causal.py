"""Causal weighting of a time-dependent PDE residual.

Wang, Sankaran & Perdikaris (2022), "Respecting causality is all you need for training
physics-informed neural networks" (arXiv:2203.07404), their causal training loss: a network trained on the residual's plain
mean can lower it at late times by fitting a wrong solution before the early times are right (for
Allen–Cahn or chaotic systems it settles on one). The time range is cut into M bins; with L_i the
mean square residual of the points in bin i, the loss is

    L = (1/M) Σ_i w_i L_i,   w_i = exp(−ε Σ_{k<i} L_k),

the weights held constant in the gradient. Bin i counts only once the residual before it is small:
w_1 = 1 always, and min_i w_i → 1 as training resolves the whole range, which is the diagnostic the
training history records. ε sets how small "small" is: too large and late bins never wake, too
small and the weighting does nothing.
"""

from dataclasses import dataclass

import torch


@dataclass
class CausalWeighting:
    """ε (``epsilon``), the number of time bins M (``bins``) and the time ``variable``."""

    epsilon: float = 1.0
    bins: int = 32
    variable: str = "t"

    def __post_init__(self):
        if not 0 < self.epsilon < float("inf"):
            raise ValueError(f"causal epsilon must be a finite number > 0, got {self.epsilon}")
        if isinstance(self.bins, bool) or not isinstance(self.bins, int) or self.bins < 2:
            raise ValueError(f"causal bins must be an integer >= 2, got {self.bins!r}")

    def reduce(self, residual: torch.Tensor, t: torch.Tensor, start: float, end: float) -> tuple[torch.Tensor, float]:
        """The causally weighted mean square of ``residual`` (one row per point) at times ``t`` in
        [start, end], and the smallest weight. Empty bins add nothing and hold no weight back."""
        squares = residual.square().reshape(len(t), -1).mean(dim=1)
        bins = ((t.detach() - start) / (end - start) * self.bins).long().clamp(0, self.bins - 1)
        sums = squares.new_zeros(self.bins).index_add(0, bins, squares)
        counts = torch.bincount(bins, minlength=self.bins).to(squares.dtype)
        means = sums / counts.clamp(min=1)
        before = torch.cumsum(means.detach(), 0) - means.detach()
        weights = torch.exp(-self.epsilon * before)
        return (weights * means).mean(), float(weights.min())
