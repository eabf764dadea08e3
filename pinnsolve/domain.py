"""Where a problem lives: named variables, each on an interval (a box), or some of them on a shape
(a disk, a polygon, a plate with a hole) and the others on intervals, as a product.

Time is an ordinary variable; an initial condition is a condition on the side ``t = t_min``.
Points are arrays of shape (n, d) with columns in the order of :attr:`Domain.variables`: the
shape's variables first, then the intervals in the order they were declared.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pinnsolve.errors import SpecError
from pinnsolve.geometry import Shape


@dataclass(frozen=True)
class Side:
    """One face of the box: ``variable`` fixed at its lower (``upper=False``) or upper bound."""

    variable: str
    upper: bool

    def __str__(self) -> str:
        return f"{self.variable}={'max' if self.upper else 'min'}"


class Domain:
    """A box ∏ [lo_i, hi_i] over named variables, e.g. ``Domain(x=(-1, 1), t=(0, 1))``; or a shape
    over some variables times intervals of the others, e.g. ``Domain(Ball((0, 0), 1), ("x", "y"),
    t=(0, 1))``: a disk in (x, y) for t in [0, 1]. ``bounds`` then holds the shape's bounding box."""

    def __init__(self, shape: Shape | None = None, over: Sequence[str] = (), /, **bounds: tuple[float, float]):
        if shape is not None and not isinstance(shape, Shape):
            raise SpecError("geometry", f"expected a shape (pinnsolve.geometry), got {shape!r}")
        self.shape, self.shape_variables = shape, tuple(over)
        self.bounds: dict[str, tuple[float, float]] = {}
        if shape is not None:
            if len(self.shape_variables) != shape.dim:
                raise SpecError("geometry.variables", f"the shape is {shape.dim}-dimensional: name {shape.dim} variables")
            for i, name in enumerate(self.shape_variables):
                if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in bounds \
                        or self.shape_variables.count(name) > 1:
                    raise SpecError(f"geometry.variables[{i}]", "a variable name must be a plain identifier, used once")
                self.bounds[name] = (float(shape.lower[i]), float(shape.upper[i]))
        elif not bounds:
            raise SpecError("variables", "declare at least one variable, e.g. {x: [-1, 1]}")
        for name, interval in bounds.items():
            if not name.isidentifier() or name.startswith("_"):
                raise SpecError(f"variables.{name}", "a variable name must be a plain identifier")
            try:
                lo, hi = (float(v) for v in interval)
            except (TypeError, ValueError):
                raise SpecError(f"variables.{name}", "expected an interval [min, max] of two numbers") from None
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise SpecError(f"variables.{name}", f"expected min < max (finite), got [{lo}, {hi}]")
            self.bounds[name] = (lo, hi)

    @property
    def variables(self) -> list[str]:
        return list(self.bounds)

    @property
    def dim(self) -> int:
        return len(self.bounds)

    def index(self, variable: str) -> int:
        return self.variables.index(variable)

    @property
    def lower(self) -> np.ndarray:
        return np.array([lo for lo, _ in self.bounds.values()])

    @property
    def upper(self) -> np.ndarray:
        return np.array([hi for _, hi in self.bounds.values()])

    @property
    def interval_variables(self) -> list[str]:
        """The variables on intervals: all of them for a box, those besides the shape's otherwise."""
        return [v for v in self.bounds if v not in self.shape_variables]

    def side(self, text: str, path: str = "on") -> Side:
        """Parse ``"x=-1"``, ``"x=1"``, ``"x=min"`` or ``"x=max"`` into a :class:`Side` of this box
        (of the intervals, where a shape holds some variables)."""
        name, sep, value = str(text).replace(" ", "").partition("=")
        if sep and name in self.shape_variables:
            raise SpecError(path, f"{name} is a variable of the geometry, which has no sides (its boundary has "
                                  f"parts: {', '.join(self.part_names)})")
        if not sep or name not in self.bounds:
            if self.shape is not None and not self.interval_variables:
                raise SpecError(path, f"{text!r} is neither a side nor a boundary part: this domain has no interval "
                                      f"variable, and its boundary parts are {', '.join(self.part_names)}")
            first = self.interval_variables[0]
            raise SpecError(path, f"expected a side such as '{first}=min' or "
                                  f"'{first}={self.bounds[first][1]:g}', got {text!r}")
        lo, hi = self.bounds[name]
        if value in ("min", "max"):
            return Side(name, value == "max")
        try:
            number = float(value)
        except ValueError:
            raise SpecError(path, f"side {text!r}: expected a number, 'min' or 'max' after '='") from None
        scale = max(abs(lo), abs(hi), 1.0)
        if abs(number - lo) <= 1e-12 * scale:
            return Side(name, False)
        if abs(number - hi) <= 1e-12 * scale:
            return Side(name, True)
        raise SpecError(path, f"side {text!r} is not a side of the box: {name} lies in [{lo:g}, {hi:g}]")

    @property
    def part_names(self) -> list[str]:
        """The names a condition may put on the shape's boundary: ``boundary`` (all of it), each
        primitive shape's name and each of its parts' names."""
        if self.shape is None:
            return []
        return ["boundary"] + list(dict.fromkeys([p.split(".")[0] for p in self.shape.parts] + list(self.shape.parts)))

    def boundary(self, texts: Sequence[str], path: str = "on") -> "tuple[Side, ...] | frozenset[str]":
        """Where a condition on ``texts`` lies: sides of the box (``x=min``), or parts of the shape's
        boundary (``hole``, ``room.2``, ``boundary``) times the intervals of the other variables."""
        texts = list(texts)
        if not texts:
            raise SpecError(path, "name at least one boundary part, e.g. 'boundary'" if self.shape is not None
                            else f"name at least one side, e.g. '{self.variables[0]}=min'")
        sides = ["=" in str(text) for text in texts]
        if any(sides) and not all(sides):
            raise SpecError(path, "mixes sides of intervals and parts of the geometry's boundary: write one condition for each")
        if all(sides) or self.shape is None:
            return tuple(self.side(text, path) for text in texts)
        try:
            parts = self.shape.select(str(text) for text in texts)
            # A part the set operations left nothing of is found now, not when training samples it.
            probe = np.random.default_rng(0)
            self.shape.sample_boundary(lambda n, k: probe.random((n, k)), 1, parts)
        except ValueError as error:
            raise SpecError(path, str(error)) from None
        return parts

    def inside(self, points: np.ndarray) -> np.ndarray:
        """Whether each point (n, d) lies in the domain, its boundary included."""
        points = np.asarray(points, dtype=np.float64)
        slack = 1e-12 * np.maximum(1.0, np.maximum(np.abs(self.lower), np.abs(self.upper)))
        inside = np.all((points >= self.lower - slack) & (points <= self.upper + slack), axis=1)
        if self.shape is not None:
            inside &= self.shape.inside(points[:, :self.shape.dim])
        return inside

    def side_value(self, side: Side) -> float:
        lo, hi = self.bounds[side.variable]
        return hi if side.upper else lo

    def outward_normal(self, side: Side) -> np.ndarray:
        """The outward unit normal of a side: −e_i on the lower side of variable i, +e_i on the upper."""
        normal = np.zeros(self.dim)
        normal[self.index(side.variable)] = 1.0 if side.upper else -1.0
        return normal

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Map points of the unit cube [0, 1]^d onto the box."""
        return self.lower + unit * (self.upper - self.lower)

    def grid(self, axes: dict[str, np.ndarray]) -> np.ndarray:
        """All combinations of the given axis values, shape (∏ len, d), 'ij' ordered."""
        mesh = np.meshgrid(*(axes[v] for v in self.variables), indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def __repr__(self) -> str:
        inner = ", ".join(f"{v}=({lo:g}, {hi:g})" for v, (lo, hi) in self.bounds.items() if v not in self.shape_variables)
        if self.shape is not None:
            inner = f"{self.shape!r}, {self.shape_variables}" + (f", {inner}" if inner else "")
        return f"Domain({inner})"
