"""A line search that satisfies the strong Wolfe conditions (Nocedal & Wright, "Numerical
Optimization", 2nd ed., Algorithms 3.5 and 3.6, with the cubic interpolation of eq. 3.59).

It works on φ(t) = f(x + t·p) alone: ``evaluate(t)`` returns φ(t), φ'(t) and whatever else the
caller needs at that point (the gradient), so the search never touches the parameters itself.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Trial:
    t: float
    f: float
    d: float          # φ'(t)
    extra: Any = None  # what evaluate returned besides φ and φ' (the gradient vector)


def strong_wolfe(evaluate: Callable[[float], tuple[float, float, Any]], f0: float, d0: float, step: float = 1.0,
                 c1: float = 1e-4, c2: float = 0.9, max_evals: int = 25) -> tuple[Trial | None, int]:
    """A step t > 0 with φ(t) ≤ φ(0) + c1·t·φ'(0) and |φ'(t)| ≤ c2·|φ'(0)|, starting from ``step``;
    when ``max_evals`` run out, the lowest point with sufficient decrease found. Returns
    (the accepted trial, or None when no trial decreased φ; the number of evaluations)."""
    if not d0 < 0:
        raise ValueError("the search direction is not a descent direction")
    start = Trial(0.0, f0, d0)
    previous, t, evals = start, step, 0
    while evals < max_evals:
        current = Trial(t, *evaluate(t))
        evals += 1
        if not math.isfinite(current.f) or current.f > f0 + c1 * t * d0 or (evals > 1 and current.f >= previous.f):
            return _zoom(evaluate, start, previous, current, c1, c2, max_evals - evals, evals)
        if abs(current.d) <= -c2 * d0:
            return current, evals
        if current.d >= 0:
            return _zoom(evaluate, start, current, previous, c1, c2, max_evals - evals, evals)
        previous, t = current, 2 * t  # still descending steeply: try further out
    return (previous if previous.t > 0 else None), evals


def _zoom(evaluate, start: Trial, low: Trial, high: Trial, c1: float, c2: float, budget: int,
          evals: int) -> tuple[Trial | None, int]:
    """Shrink [low, high] (low: the best point with sufficient decrease so far) until a point
    satisfies both conditions (Algorithm 3.6)."""
    f0, d0 = start.f, start.d
    for _ in range(budget):
        width = high.t - low.t
        if abs(width) <= 1e-16 * max(1.0, abs(low.t)):
            break
        t = _cubic_minimum(low, high) if math.isfinite(high.f) else None
        # keep the trial well inside the bracket, else bisect
        if t is None or not min(low.t, high.t) + 0.1 * abs(width) <= t <= max(low.t, high.t) - 0.1 * abs(width):
            t = low.t + width / 2
        current = Trial(t, *evaluate(t))
        evals += 1
        if not math.isfinite(current.f) or current.f > f0 + c1 * t * d0 or current.f >= low.f:
            high = current
        else:
            if abs(current.d) <= -c2 * d0:
                return current, evals
            if current.d * width >= 0:
                high = low
            low = current
    return (low if low.t > 0 else None), evals


def _cubic_minimum(a: Trial, b: Trial) -> float | None:
    """The minimiser of the cubic through (a.t, a.f, a.d) and (b.t, b.f, b.d) (eq. 3.59), or None
    when the cubic has no minimum."""
    d1 = a.d + b.d - 3 * (a.f - b.f) / (a.t - b.t)
    discriminant = d1 * d1 - a.d * b.d
    if discriminant < 0:
        return None
    d2 = math.copysign(math.sqrt(discriminant), b.t - a.t)
    denominator = b.d - a.d + 2 * d2
    if denominator == 0:
        return None
    return b.t - (b.t - a.t) * (b.d + d2 - d1) / denominator
