"""Collocation points: quasi-random (scipy.stats.qmc) or uniform samples of the box and its sides.

Low-discrepancy points (Sobol', Halton, Latin hypercube) cover the domain more evenly than uniform
random points at the same count, which lowers the quadrature error of the mean-squared residual.
Each sampler is scrambled and seeded, so a run is reproducible from its seed.
"""

import warnings

import numpy as np
from scipy.stats import qmc

from pinnsolve.domain import Domain, Side

SAMPLERS = ("sobol", "halton", "lhs", "uniform")


class Sampler:
    """Draws points in the unit cube of a given dimension, one independent stream per dimension count."""

    def __init__(self, kind: str = "sobol", seed: int = 0):
        if kind not in SAMPLERS:
            raise ValueError(f"unknown sampler {kind!r}; expected one of {', '.join(SAMPLERS)}")
        self.kind = kind
        self.rng = np.random.default_rng(seed)
        self._engines: dict[int, qmc.QMCEngine] = {}

    def unit(self, n: int, dim: int) -> np.ndarray:
        if dim == 0:
            return np.zeros((n, 0))
        if self.kind == "uniform":
            return self.rng.random((n, dim))
        engine = self._engines.get(dim)
        if engine is None:
            engine = {"sobol": qmc.Sobol, "halton": qmc.Halton, "lhs": qmc.LatinHypercube}[self.kind]
            engine = self._engines[dim] = engine(d=dim, rng=self.rng)
        with warnings.catch_warnings():  # Sobol' prefers powers of two; any n is still a valid sample
            warnings.simplefilter("ignore", UserWarning)
            return engine.random(n)

    def interior(self, domain: Domain, n: int) -> np.ndarray:
        return domain.scale(self.unit(n, domain.dim))

    def on_sides(self, domain: Domain, sides: list[Side], n: int) -> np.ndarray:
        """n points spread evenly over the given sides (a side of a 1-D box is a single point)."""
        counts = [n // len(sides) + (i < n % len(sides)) for i in range(len(sides))]
        return np.concatenate([self._on_side(domain, s, c) for s, c in zip(sides, counts)])

    def _on_side(self, domain: Domain, side: Side, n: int) -> np.ndarray:
        points = domain.scale(np.insert(self.unit(n, domain.dim - 1), domain.index(side.variable), 0.0, axis=1))
        points[:, domain.index(side.variable)] = domain.side_value(side)
        return points
