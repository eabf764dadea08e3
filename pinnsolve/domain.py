"""The box a problem lives on: named variables, each on an interval, and the sides of the box.

Time is an ordinary variable; an initial condition is a condition on the side ``t = t_min``.
Points are arrays of shape (n, d) with columns in the order the variables were declared.
"""

from dataclasses import dataclass

import numpy as np

from pinnsolve.errors import SpecError


@dataclass(frozen=True)
class Side:
    """One face of the box: ``variable`` fixed at its lower (``upper=False``) or upper bound."""

    variable: str
    upper: bool

    def __str__(self) -> str:
        return f"{self.variable}={'max' if self.upper else 'min'}"


class Domain:
    """A box ∏ [lo_i, hi_i] over named variables, e.g. ``Domain(x=(-1, 1), t=(0, 1))``."""

    def __init__(self, **bounds: tuple[float, float]):
        if not bounds:
            raise SpecError("variables", "declare at least one variable, e.g. {x: [-1, 1]}")
        self.bounds: dict[str, tuple[float, float]] = {}
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

    def side(self, text: str, path: str = "on") -> Side:
        """Parse ``"x=-1"``, ``"x=1"``, ``"x=min"`` or ``"x=max"`` into a :class:`Side` of this box."""
        name, sep, value = str(text).replace(" ", "").partition("=")
        if not sep or name not in self.bounds:
            raise SpecError(path, f"expected a side such as '{self.variables[0]}=min' or "
                                  f"'{self.variables[0]}={self.bounds[self.variables[0]][1]:g}', got {text!r}")
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
        inner = ", ".join(f"{v}=({lo:g}, {hi:g})" for v, (lo, hi) in self.bounds.items())
        return f"Domain({inner})"
