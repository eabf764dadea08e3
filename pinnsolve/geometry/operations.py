"""Shapes built from others: union, intersection and difference (constructive solid geometry).

The boundary of a combination lies on its operands' boundaries; :meth:`Shape.sample_boundary`
draws candidates there and keeps the ones on the combination's boundary. A subtracted shape's
boundary faces into it, so its normals are turned around.
"""

import numpy as np

from pinnsolve.geometry.shape import BoundaryPoints, Draw, Shape, split_by_size


class _Combination(Shape):
    def __init__(self, *shapes: Shape):
        if len(shapes) < 2:
            raise ValueError(f"{type(self).__name__.lower()} takes two or more shapes")
        for shape in shapes:
            if not isinstance(shape, Shape):
                raise ValueError(f"{type(self).__name__.lower()} takes shapes, got {shape!r}")
        if len({shape.dim for shape in shapes}) > 1:
            raise ValueError(f"{type(self).__name__.lower()} of shapes of different dimensions "
                             f"({', '.join(str(s.dim) for s in shapes)})")
        self.shapes, self.dim = shapes, shapes[0].dim
        self.parts = tuple(dict.fromkeys(part for shape in shapes for part in shape.parts))
        self.lower, self.upper = self._bounds()
        if not np.all(self.lower < self.upper):
            raise ValueError(f"this {type(self).__name__.lower()} is empty")

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.min([s.lower for s in self.shapes], axis=0), np.max([s.upper for s in self.shapes], axis=0))

    def boundary_size(self, parts: frozenset[str]) -> float:
        return sum(shape.boundary_size(parts) for shape in self.shapes)

    def _candidates(self, draw: Draw, n: int, parts: frozenset[str]) -> BoundaryPoints:
        sizes = [shape.boundary_size(parts) for shape in self.shapes]
        pieces = []
        for i, (shape, count) in enumerate(zip(self.shapes, split_by_size(n, sizes))):
            if count:
                piece = shape._candidates(draw, count, parts)
                if self._subtracted(i):
                    piece.normals = -piece.normals
                pieces.append(piece)
        return BoundaryPoints.join(pieces, self.dim)

    def _subtracted(self, index: int) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.shapes))})"


class Union(_Combination):
    """Points in any of the shapes."""

    def distance(self, points: np.ndarray) -> np.ndarray:
        return np.min([shape.distance(points) for shape in self.shapes], axis=0)


class Intersection(_Combination):
    """Points in all of the shapes."""

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.max([s.lower for s in self.shapes], axis=0), np.min([s.upper for s in self.shapes], axis=0))

    def distance(self, points: np.ndarray) -> np.ndarray:
        return np.max([shape.distance(points) for shape in self.shapes], axis=0)


class Difference(_Combination):
    """Points in the first shape and in none of the others (a plate minus its holes)."""

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.shapes[0].lower, self.shapes[0].upper

    def distance(self, points: np.ndarray) -> np.ndarray:
        return np.max([self.shapes[0].distance(points)] + [-s.distance(points) for s in self.shapes[1:]], axis=0)

    def _subtracted(self, index: int) -> bool:
        return index > 0
