"""What every shape offers: an inside test, a signed distance, a bounding box, and points drawn
inside it and on its boundary, with outward unit normals and the name of the boundary part each
boundary point lies on.

Shapes are unnamed in their coordinates: a shape of dimension d works on arrays of shape (n, d),
and a :class:`~pinnsolve.domain.Domain` says which variables those columns are. Points come from
a ``draw(n, k)`` function that returns n points of the unit cube [0, 1)^k (a quasi-random sampler),
so a shape's points are as reproducible as the sampler.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

Draw = Callable[[int, int], np.ndarray]
WHOLE_BOUNDARY = "boundary"  # the name that selects every part of a boundary
MAX_DRAWS = 200  # rejection rounds before a shape is declared (nearly) empty


@dataclass
class BoundaryPoints:
    """Points on a boundary, (n, d), with the outward unit normal at each (n, d), the name of the
    boundary part each lies on (n,), and ``extra`` unit coordinates (n, k) drawn with each point
    (for the other variables of a product: time along a boundary)."""

    points: np.ndarray
    normals: np.ndarray
    parts: np.ndarray
    extra: np.ndarray | None = None

    @staticmethod
    def join(pieces: "list[BoundaryPoints]", dim: int) -> "BoundaryPoints":
        if not pieces:
            return BoundaryPoints(np.zeros((0, dim)), np.zeros((0, dim)), np.zeros(0, dtype=str))
        return BoundaryPoints(*(np.concatenate([getattr(p, a) for p in pieces]) for a in ("points", "normals", "parts")),
                              None if pieces[0].extra is None else np.concatenate([p.extra for p in pieces]))

    def take(self, rows: np.ndarray) -> "BoundaryPoints":
        return BoundaryPoints(self.points[rows], self.normals[rows], self.parts[rows],
                              None if self.extra is None else self.extra[rows])


class Shape:
    """A closed region of R^d. Subclasses give ``dim``, ``lower``/``upper`` (the bounding box),
    ``parts`` (boundary part names), :meth:`distance` and :meth:`_candidates`."""

    dim: int
    lower: np.ndarray
    upper: np.ndarray
    parts: tuple[str, ...]

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Signed distance to the boundary, negative inside. Exact for a box, a ball and a polygon;
        for a set operation the min/max of its operands' (Ricci 1973), which has the exact sign and
        is never larger in size than the true distance."""
        raise NotImplementedError

    def inside(self, points: np.ndarray) -> np.ndarray:
        """Whether each point lies in the closed shape (its boundary included, to rounding)."""
        return self.distance(np.asarray(points, dtype=np.float64)) <= self.tolerance

    @property
    def tolerance(self) -> float:
        return 1e-9 * max(1.0, float(np.max(np.abs(np.concatenate([self.lower, self.upper])))))

    def select(self, names: Iterable[str]) -> frozenset[str]:
        """The boundary parts that ``names`` pick: a part's own name (``"room.2"``), the name of the
        shape it belongs to (``"room"``: all its parts), or ``"boundary"`` (every part)."""
        chosen: set[str] = set()
        for name in names:
            picked = set(self.parts) if name == WHOLE_BOUNDARY else {
                part for part in self.parts if part == name or part.startswith(name + ".")}
            if not picked:
                known = sorted({p.split(".")[0] for p in self.parts} | set(self.parts) | {WHOLE_BOUNDARY})
                raise ValueError(f"no boundary part named {name!r}; parts are {', '.join(known)}")
            chosen |= picked
        return frozenset(chosen)

    def sample_interior(self, draw: Draw, n: int) -> np.ndarray:
        """n points inside, drawn in the bounding box and kept when inside (the order of the draw,
        and so its low discrepancy, is kept)."""
        return rejection(lambda m: self.lower + draw(m, self.dim) * (self.upper - self.lower),
                         lambda points: self.inside(points), n)

    def sample_boundary(self, draw: Draw, n: int, parts: Iterable[str] = (WHOLE_BOUNDARY,), extra: int = 0) -> BoundaryPoints:
        """n points spread by length or area over the chosen boundary parts. Candidates are drawn on
        the boundaries of the primitive shapes this one is built from, in proportion to their size,
        and a candidate p with outward normal ν is kept where it is a boundary point of the whole
        shape: p − εν inside it and p + εν outside.

        ``extra`` more unit coordinates are drawn in the same draw as each point's position on the
        boundary, so that the product with other variables keeps its low discrepancy: two
        separately scrambled Sobol' sequences of one dimension put their i-th points in matching
        intervals, which would tie a point's time to its place on the boundary."""
        chosen = self.select(parts)
        drawn: list[np.ndarray] = []

        def joint(m: int, k: int) -> np.ndarray:
            unit = draw(m, k + extra)
            drawn.append(unit[:, k:])
            return unit[:, :k]

        step = 1e-6 * float(np.linalg.norm(self.upper - self.lower))
        kept: list[BoundaryPoints] = []
        count, proposed, rounds, batch = 0, 0, 0, n
        while count < n:
            if rounds == MAX_DRAWS:
                raise ValueError(f"could not draw {n} points on the boundary parts {', '.join(sorted(chosen))}: "
                                 "they lie (almost) entirely inside the shape")
            candidates = self._candidates(joint, batch, chosen)  # rows in the order they were drawn
            candidates.extra = np.concatenate(drawn) if drawn else np.zeros((len(candidates.points), extra))
            drawn.clear()
            on = (self.inside(candidates.points - step * candidates.normals)
                  & ~self.inside(candidates.points + step * candidates.normals))
            kept.append(candidates.take(on))
            count, proposed, rounds = count + int(on.sum()), proposed + len(on), rounds + 1
            batch = _next_batch(n, count, proposed)
        joined = BoundaryPoints.join(kept, self.dim)
        # Evenly spaced picks keep each primitive's share (candidates came in proportion to size).
        return joined.take(np.linspace(0, len(joined.points) - 1, n).round().astype(int) if n else np.zeros(0, int))

    def boundary_size(self, parts: frozenset[str]) -> float:
        """The total length or area of the given parts of the primitives' boundaries (before any set
        operation removes pieces): what candidates are spread over."""
        raise NotImplementedError

    def _candidates(self, draw: Draw, n: int, parts: frozenset[str]) -> BoundaryPoints:
        """About n points spread by size over the given parts of the primitives' boundaries, with
        their normals pointing out of the primitive (or into it, where it is subtracted)."""
        raise NotImplementedError


def rejection(propose: Callable[[int], np.ndarray], accept: Callable[[np.ndarray], np.ndarray], n: int) -> np.ndarray:
    """The first n accepted of the proposals, drawn in batches sized from the acceptance so far."""
    kept, count, proposed, batch = [], 0, 0, max(n, 16)
    for _ in range(MAX_DRAWS):
        proposals = propose(batch)
        chosen = proposals[accept(proposals)]
        kept.append(chosen)
        count, proposed = count + len(chosen), proposed + len(proposals)
        if count >= n:
            return np.concatenate(kept)[:n]
        batch = _next_batch(n, count, proposed)
    raise ValueError("the shape is (almost) empty: no point of its bounding box lies inside it")


def _next_batch(n: int, count: int, proposed: int) -> int:
    """Enough proposals for the n − count points still missing at the acceptance seen so far (20 %
    spare), at most 16 times the request (nothing accepted yet says little about the rate)."""
    return min(max(64, int(1.2 * (n - count) * proposed / max(count, 1))), 16 * max(n, 1024))


def split_by_size(n: int, sizes: list[float]) -> list[int]:
    """n split in proportion to ``sizes`` (largest remainders round up), so the counts sum to n."""
    sizes = np.asarray(sizes, dtype=np.float64)
    exact = n * sizes / sizes.sum()
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact, kind="stable")[: n - counts.sum()]] += 1
    return counts.tolist()
