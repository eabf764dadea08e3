"""The primitive shapes: a box and a ball in any dimension, a polygon in the plane."""

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri

from pinnsolve.geometry.shape import BoundaryPoints, Draw, Shape, split_by_size


def _vector(values, what: str, dim: int | None = None) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a list of numbers") from None
    if array.ndim != 1 or not len(array) or (dim is not None and len(array) != dim):
        raise ValueError(f"{what} must be a list of {dim or 'one or more'} numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite")
    return array


def _name(name: str, default: str) -> str:
    name = default if name is None else name
    if not isinstance(name, str) or not name.isidentifier() or name == "boundary":
        raise ValueError(f"a shape's name must be an identifier other than 'boundary', got {name!r}")
    return name


class Box(Shape):
    """The box [lower_1, upper_1] × … × [lower_d, upper_d]; its boundary is one part, ``name``."""

    def __init__(self, lower: Sequence[float], upper: Sequence[float], name: str | None = None):
        self.lower = _vector(lower, "a box's lower corner")
        self.upper = _vector(upper, "a box's upper corner", len(self.lower))
        if not np.all(self.lower < self.upper):
            raise ValueError("a box's lower corner must lie below its upper corner in every coordinate")
        self.dim, self.name = len(self.lower), _name(name, "box")
        self.parts = (self.name,)

    def distance(self, points: np.ndarray) -> np.ndarray:
        # The exact signed distance: outside, the length of the excess over the half-widths; inside,
        # minus the distance to the nearest face.
        excess = np.abs(points - (self.lower + self.upper) / 2) - (self.upper - self.lower) / 2
        return np.linalg.norm(np.maximum(excess, 0.0), axis=1) + np.minimum(excess.max(axis=1), 0.0)

    def face_sizes(self) -> list[float]:
        extent = self.upper - self.lower
        return [float(np.prod(np.delete(extent, axis))) for axis in range(self.dim) for _ in (0, 1)]

    def boundary_size(self, parts: frozenset[str]) -> float:
        return sum(self.face_sizes()) if self.name in parts else 0.0

    def _candidates(self, draw: Draw, n: int, parts: frozenset[str]) -> BoundaryPoints:
        if self.name not in parts:
            return BoundaryPoints.join([], self.dim)
        points, normals = [], []
        for face, count in enumerate(split_by_size(n, self.face_sizes())):
            axis, upper = divmod(face, 2)
            unit = np.insert(draw(count, self.dim - 1), axis, float(upper), axis=1)
            points.append(self.lower + unit * (self.upper - self.lower))
            normals.append(np.tile(np.eye(self.dim)[axis] * (1.0 if upper else -1.0), (count, 1)))
        points = np.concatenate(points)
        return BoundaryPoints(points, np.concatenate(normals), np.full(len(points), self.name))

    def __repr__(self) -> str:
        return f"Box({self.lower.tolist()}, {self.upper.tolist()}, name={self.name!r})"


class Ball(Shape):
    """The ball |p − center| ≤ radius (a disk in the plane); its boundary is one part, ``name``."""

    def __init__(self, center: Sequence[float], radius: float, name: str | None = None):
        self.center = _vector(center, "a ball's center")
        if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 < radius < math.inf:
            raise ValueError(f"a ball's radius must be a positive number, got {radius!r}")
        self.radius, self.dim = float(radius), len(self.center)
        self.name = _name(name, "disk" if self.dim == 2 else "ball")
        self.lower, self.upper = self.center - self.radius, self.center + self.radius
        self.parts = (self.name,)

    def distance(self, points: np.ndarray) -> np.ndarray:
        return np.linalg.norm(points - self.center, axis=1) - self.radius

    def boundary_size(self, parts: frozenset[str]) -> float:
        if self.name not in parts:
            return 0.0
        # The area of the sphere S^(d-1) of radius r: 2 π^(d/2) r^(d-1) / Γ(d/2) (2 points for d = 1).
        return 2 * math.pi ** (self.dim / 2) * self.radius ** (self.dim - 1) / math.gamma(self.dim / 2)

    def _candidates(self, draw: Draw, n: int, parts: frozenset[str]) -> BoundaryPoints:
        if self.name not in parts:
            return BoundaryPoints.join([], self.dim)
        if self.dim == 1:
            directions = np.where(draw(n, 1) < 0.5, -1.0, 1.0)
        elif self.dim == 2:  # by angle: even in arc length
            angle = 2 * np.pi * draw(n, 1)[:, 0]
            directions = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        else:  # normalised Gaussian vectors are uniform on the sphere (Muller 1959)
            gaussian = ndtri(np.clip(draw(n, self.dim), 1e-12, 1 - 1e-12))
            directions = gaussian / np.linalg.norm(gaussian, axis=1, keepdims=True)
        return BoundaryPoints(self.center + self.radius * directions, directions, np.full(n, self.name))

    def __repr__(self) -> str:
        return f"Ball({self.center.tolist()}, {self.radius:g}, name={self.name!r})"


class Polygon(Shape):
    """A simple polygon in the plane, vertices in either order. Edge i joins vertex i to vertex i+1
    (the last edge closes the polygon); its boundary part is ``name.label``, the labels ``edges``
    given or 1, 2, … by default, so that ``name`` picks every edge and ``name.label`` one."""

    def __init__(self, vertices: Sequence[Sequence[float]], name: str | None = None,
                 edges: Sequence[str] | None = None):
        try:
            vertices = np.asarray(vertices, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("a polygon's vertices must be a list of [x, y] pairs") from None
        if vertices.ndim != 2 or vertices.shape[1] != 2 or len(vertices) < 3 or not np.all(np.isfinite(vertices)):
            raise ValueError("a polygon needs three or more vertices, each a pair [x, y] of finite numbers")
        labels = [str(i + 1) for i in range(len(vertices))] if edges is None else list(edges)
        if len(labels) != len(vertices) or len(set(labels)) != len(labels) or not all(
                isinstance(label, str) and (label.isidentifier() or label.isdigit()) for label in labels):
            raise ValueError(f"a polygon with {len(vertices)} vertices needs {len(vertices)} distinct edge names (identifiers)")
        ends = np.roll(vertices, -1, axis=0)
        area = 0.5 * float(np.sum(vertices[:, 0] * ends[:, 1] - ends[:, 0] * vertices[:, 1]))
        if area < 0:  # clockwise: reverse, so that outward normals are the edges turned clockwise
            vertices, labels = vertices[::-1], [labels[(len(labels) - 2 - k) % len(labels)] for k in range(len(labels))]
            ends = np.roll(vertices, -1, axis=0)
        self.name, self.dim = _name(name, "polygon"), 2
        self.vertices, self.ends, self.area = vertices, ends, abs(area)
        self.lengths = np.linalg.norm(ends - vertices, axis=1)
        if not np.all(self.lengths > 0) or self.area == 0 or self._crosses_itself():
            raise ValueError("a polygon must be simple: distinct consecutive vertices, edges that do not cross")
        self.edge_normals = np.stack([ends[:, 1] - vertices[:, 1], vertices[:, 0] - ends[:, 0]], axis=1) / self.lengths[:, None]
        self.parts = tuple(f"{self.name}.{label}" for label in labels)
        self.lower, self.upper = vertices.min(axis=0), vertices.max(axis=0)

    def _crosses_itself(self) -> bool:
        m = len(self.vertices)
        for i in range(m):
            for j in range(i + 1, m):
                if j == i + 1 or (i == 0 and j == m - 1):  # neighbours share a vertex
                    continue
                if _segments_meet(self.vertices[i], self.ends[i], self.vertices[j], self.ends[j]):
                    return True
        return False

    def distance(self, points: np.ndarray) -> np.ndarray:
        # Unsigned: the nearest point of each edge; sign: inside by the even-odd rule (a ray along +x
        # crosses the boundary an odd number of times).
        start, edge = self.vertices[None], (self.ends - self.vertices)[None]
        offset = points[:, None, :] - start
        along = np.clip(np.sum(offset * edge, axis=2) / np.sum(edge * edge, axis=2), 0.0, 1.0)
        nearest = np.linalg.norm(offset - along[..., None] * edge, axis=2).min(axis=1)
        y, x = points[:, 1:2], points[:, 0:1]
        y0, y1, x0, x1 = self.vertices[:, 1], self.ends[:, 1], self.vertices[:, 0], self.ends[:, 0]
        straddles = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside = np.sum(straddles & (x < crossing), axis=1) % 2 == 1
        return np.where(inside, -nearest, nearest)

    def boundary_size(self, parts: frozenset[str]) -> float:
        return float(sum(length for part, length in zip(self.parts, self.lengths) if part in parts))

    def _candidates(self, draw: Draw, n: int, parts: frozenset[str]) -> BoundaryPoints:
        chosen = np.array([part in parts for part in self.parts])
        if not chosen.any():
            return BoundaryPoints.join([], self.dim)
        # One coordinate along the chosen edges laid end to end: even in arc length.
        lengths = np.where(chosen, self.lengths, 0.0)
        ends = np.cumsum(lengths)
        position = draw(n, 1)[:, 0] * ends[-1]
        edge = np.minimum(np.searchsorted(ends, position, side="right"), len(ends) - 1)
        edge = np.where(chosen[edge], edge, np.argmax(chosen))  # rounding at the very end
        fraction = np.clip((position - (ends[edge] - lengths[edge])) / self.lengths[edge], 0.0, 1.0)[:, None]
        points = self.vertices[edge] + fraction * (self.ends[edge] - self.vertices[edge])
        return BoundaryPoints(points, self.edge_normals[edge], np.asarray(self.parts)[edge])

    def __repr__(self) -> str:
        return f"Polygon({self.vertices.tolist()}, name={self.name!r})"


def _segments_meet(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> bool:
    """Whether the closed segments ab and cd share a point (orientation tests, collinear overlap included)."""
    def orient(p, q, r):
        value = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
        return 0 if abs(value) < 1e-14 else (1 if value > 0 else -1)

    def between(p, q, r):  # r on the line pq: within its extent?
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    if o1 != o2 and o3 != o4:
        return True
    return any(o == 0 and between(p, q, r) for o, p, q, r in ((o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b)))
