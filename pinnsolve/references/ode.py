"""Reference solution of an initial-value problem for a system of ODEs, y' = F(t, y), y(t0) = y0.

Integrated by scipy's DOP853 (the eighth-order Runge–Kutta pair of Dormand & Prince, as in Hairer,
Nørsett & Wanner, "Solving Ordinary Differential Equations I", 1993) at relative and absolute
tolerances of 1e-12, scaled by the size of the initial state, and evaluated anywhere on the interval
by its dense output (a seventh-order interpolant, accurate to the same order as the steps).
"""

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

TOLERANCE = 1e-12


def ode_solution(rates: Callable[[float, np.ndarray], np.ndarray], initial, start: float, end: float,
                 tolerance: float = TOLERANCE) -> Callable[[np.ndarray], np.ndarray]:
    """``solution(t)`` -> array of shape (len(initial), *t.shape) for ``start <= t <= end``."""
    initial = np.asarray(initial, dtype=np.float64)
    if not end > start:
        raise ValueError(f"the interval [{start}, {end}] is empty")
    scale = max(float(np.max(np.abs(initial))), 1.0)
    solved = solve_ivp(rates, (start, end), initial, method="DOP853", rtol=tolerance, atol=tolerance * scale,
                       dense_output=True)
    if not solved.success:
        raise ValueError(f"the ODE reference could not be integrated: {solved.message}")

    def solution(t) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if np.any(t < start) or np.any(t > end):
            raise ValueError(f"time outside the integrated interval [{start}, {end}]")
        return solved.sol(t.ravel()).reshape((len(initial),) + t.shape)

    return solution
