"""Loss terms: what a problem compiles into, and the one thing training evaluates.

A term is *where* (a point source: the interior, sides of the domain, parts of its geometry's
boundary, or given points) × *what* (a residual ``g(f, p)`` that should vanish there) × a reduction
of the residual to a number (the mean square by default). PDE residuals, initial and boundary conditions and any term a user adds
are all terms; training loops over them and never asks which kind a term is.

Every interior term shares one point set, named ``"pde"``: one network evaluation and one set of
derivatives serve all PDE residuals. Every other term has a point set of its own, named after it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from pinnsolve.domain import Domain, Side
from pinnsolve.sampling import Sampler, split_count

INTERIOR = "pde"  # the name of the interior point set, and of a problem's single residual


@dataclass
class PointSet:
    """The points of one term: coordinates of shape (..., n, d) and per-point data of shape (..., n, k)
    (the outward ``normal`` of boundary points, say), as numpy arrays when sampled and as tensors
    when trained on. The point axis is the one before the last, so pairs (a periodic condition's
    (2, n, d) points) stay together when a set is split."""

    points: Any
    data: dict[str, Any] = field(default_factory=dict)

    def map(self, convert: Callable[[Any], Any]) -> "PointSet":
        """The same set with ``convert`` applied to every array (to a tensor, a dtype or a device)."""
        return PointSet(convert(self.points), {name: convert(values) for name, values in self.data.items()})

    def rows(self, start: int, stop: int) -> "PointSet":
        """Points ``start`` to ``stop`` (pairs kept together) with their data."""
        part = lambda a: a[..., start:stop, :]  # noqa: E731
        return PointSet(part(self.points), {name: part(values) for name, values in self.data.items()})

    def cycle(self, size: int, index: int) -> "PointSet":
        """The ``index``-th run of ``size`` points through the set, wrapping around at its end (so
        every batch has the same size), pairs kept together."""
        start = index * size % len(self)
        if start + size <= len(self):
            return self.rows(start, start + size)
        rows = [(start + i) % len(self) for i in range(size)]
        return PointSet(self.points[..., rows, :], {name: values[..., rows, :] for name, values in self.data.items()})

    def state_dict(self) -> dict[str, Any]:
        return {"points": self.points, "data": dict(self.data)}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> "PointSet":
        return cls(state["points"], dict(state["data"]))

    def __len__(self) -> int:
        return self.points.shape[-2]


class Interior:
    """Points spread over the whole domain."""

    sampled = True

    def sample(self, sampler: Sampler, domain: Domain, n: int) -> PointSet:
        return PointSet(sampler.interior(domain, n))


@dataclass(frozen=True)
class OnSides:
    """Points spread evenly over sides of the box, each with the outward unit normal of its side."""

    sides: tuple[Side, ...]
    sampled = True

    def sample(self, sampler: Sampler, domain: Domain, n: int) -> PointSet:
        counts = split_count(n, len(self.sides))
        normals = [np.tile(domain.outward_normal(side), (count, 1)) for side, count in zip(self.sides, counts)]
        return PointSet(sampler.on_sides(domain, list(self.sides), n), {"normal": np.concatenate(normals)})


@dataclass(frozen=True)
class OnBoundary:
    """Points spread by length or area over named parts of the geometry's boundary (times the
    intervals of the other variables), each with the outward unit normal there."""

    parts: frozenset[str]
    sampled = True

    def sample(self, sampler: Sampler, domain: Domain, n: int) -> PointSet:
        points, normals = sampler.on_boundary(domain, self.parts, n)
        return PointSet(points, {"normal": normals})


@dataclass(frozen=True)
class OppositeSides:
    """Pairs of points facing each other across the box along ``variable``: shape (2, n, d), the
    first on the lower side, the second its partner on the upper side."""

    variable: str
    sampled = True

    def sample(self, sampler: Sampler, domain: Domain, n: int) -> PointSet:
        lower = sampler.on_sides(domain, [Side(self.variable, False)], n)
        upper = lower.copy()
        upper[:, domain.index(self.variable)] = domain.bounds[self.variable][1]
        return PointSet(np.stack([lower, upper]))


class GivenPoints:
    """Fixed points (n, d), with optional per-point data (n, k) by name, e.g. measured values."""

    sampled = False

    def __init__(self, points, **data):
        self.points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        self.data = {name: np.asarray(values, dtype=np.float64).reshape(len(self.points), -1)
                     for name, values in data.items()}

    def sample(self, sampler: Sampler, domain: Domain, n: int) -> PointSet:
        if self.points.shape[1] != domain.dim:
            raise ValueError(f"given points have {self.points.shape[1]} coordinates; the domain has {domain.dim} variables")
        return PointSet(self.points, dict(self.data))


PointSource = Interior | OnSides | OnBoundary | OppositeSides | GivenPoints


def mean_square(residual: torch.Tensor) -> torch.Tensor:
    return residual.square().mean()


@dataclass(frozen=True)
class Term:
    """One named loss term: ``reduction(residual(f, p))`` over the points of ``where``.

    ``reads`` lists the fields and derivatives the residual reads (``{"u", "u_t", "u_xx"}``), when
    known: compiled expressions know it, a Python callable does not (None), and the derivative
    engine then computes whatever the residual asks for."""

    name: str
    where: PointSource
    residual: Callable
    reads: frozenset[str] | None = None
    reduction: Callable[[torch.Tensor], torch.Tensor] = mean_square

    @property
    def point_set(self) -> str:
        """The name of the point set it is evaluated on: shared by all interior terms."""
        return INTERIOR if isinstance(self.where, Interior) else self.name


def reads_of(function: Any) -> frozenset[str] | None:
    """What a residual or value reads: a number reads nothing; a callable says so by a ``reads``
    attribute (compiled expressions have one), else it is unknown (None)."""
    if not callable(function):
        return frozenset()
    reads = getattr(function, "reads", None)
    return None if reads is None else frozenset(reads)
