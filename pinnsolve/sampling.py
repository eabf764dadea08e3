"""Collocation points: quasi-random (scipy.stats.qmc) or uniform samples of the domain, its sides
and the parts of its geometry's boundary.

Low-discrepancy points (Sobol', Halton, Latin hypercube) cover the domain more evenly than uniform
random points at the same count, which lowers the quadrature error of the mean-squared residual.
Each sampler is scrambled and seeded, so a run is reproducible from its seed.
"""

import warnings

import numpy as np
from scipy.stats import qmc

from pinnsolve.domain import Domain, Side
from pinnsolve.geometry.shape import rejection

SAMPLERS = ("sobol", "halton", "lhs", "uniform")


class Sampler:
    """Draws points in the unit cube of a given dimension, one independent stream per dimension count.

    ``state_dict()`` captures where every stream stands, as plain data; a fresh sampler of the same
    kind and seed that loads it continues with exactly the points the saved one would have drawn.
    """

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
        with warnings.catch_warnings():  # Sobol' prefers powers of two; any n is still a valid sample
            warnings.simplefilter("ignore", UserWarning)
            return self._engine(dim).random(n)

    def _engine(self, dim: int) -> qmc.QMCEngine:
        if dim not in self._engines:
            kind = {"sobol": qmc.Sobol, "halton": qmc.Halton, "lhs": qmc.LatinHypercube}[self.kind]
            self._engines[dim] = kind(d=dim, rng=self.rng)
        return self._engines[dim]

    def state_dict(self) -> dict:
        # An engine's scrambling comes from a child generator spawned from ``rng``'s seed sequence
        # in creation order, so recreating the engines in that order rebuilds it; what moves
        # afterwards is the count of points drawn and the engine's own generator.
        return {"kind": self.kind, "rng": self.rng.bit_generator.state,
                "engines": [{"dim": dim, "drawn": engine.num_generated, "rng": engine.rng.bit_generator.state}
                            for dim, engine in self._engines.items()]}

    def load_state_dict(self, state: dict) -> None:
        if state["kind"] != self.kind:
            raise ValueError(f"the saved sampler is {state['kind']!r}, this one {self.kind!r}")
        if self._engines:
            raise ValueError("load a sampler state into a fresh sampler, before it draws any point")
        for engine_state in state["engines"]:
            engine = self._engine(engine_state["dim"])  # spawns its generator, in the saved order
            engine.fast_forward(engine_state["drawn"])
            engine.rng.bit_generator.state = engine_state["rng"]
        self.rng.bit_generator.state = state["rng"]

    def interior(self, domain: Domain, n: int) -> np.ndarray:
        if domain.shape is None:
            return domain.scale(self.unit(n, domain.dim))
        # Points of the whole bounding box, kept where the shape's coordinates fall inside it: one
        # draw of every coordinate together keeps the product's low discrepancy.
        return rejection(lambda m: domain.scale(self.unit(m, domain.dim)), domain.inside, n)

    def on_sides(self, domain: Domain, sides: list[Side], n: int) -> np.ndarray:
        """n points spread evenly over the given sides (a side of a 1-D box is a single point)."""
        return np.concatenate([self._on_side(domain, s, c) for s, c in zip(sides, split_count(n, len(sides)))])

    def _on_side(self, domain: Domain, side: Side, n: int) -> np.ndarray:
        if domain.shape is None:
            points = domain.scale(np.insert(self.unit(n, domain.dim - 1), domain.index(side.variable), 0.0, axis=1))
        else:  # the shape (times the other intervals) at one end of an interval: an initial condition
            points = self.interior(domain, n)
        points[:, domain.index(side.variable)] = domain.side_value(side)
        return points

    def on_boundary(self, domain: Domain, parts: frozenset[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """n points on the given parts of the geometry's boundary, spread by length or area, times
        the intervals of the other variables; and the outward unit normal at each."""
        shape = domain.shape
        boundary = shape.sample_boundary(self.unit, n, parts, extra=domain.dim - shape.dim)
        lower, upper = domain.lower[shape.dim:], domain.upper[shape.dim:]
        points = np.concatenate([boundary.points, lower + boundary.extra * (upper - lower)], axis=1)
        normals = np.concatenate([boundary.normals, np.zeros((n, domain.dim - shape.dim))], axis=1)
        return points, normals


def split_count(n: int, parts: int) -> list[int]:
    """n split into ``parts`` counts as equal as can be, the larger ones first."""
    return [n // parts + (i < n % parts) for i in range(parts)]
