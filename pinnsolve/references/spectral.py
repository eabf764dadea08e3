"""Evaluation of Fourier pseudo-spectral reference solutions at arbitrary (x, t).

The time-stepping reference solvers (Allen–Cahn, Schrödinger) keep their Fourier coefficients only
at the time steps that bracket the requested times. What turns those into values anywhere is the
same for both and lives here, once: cubic Hermite interpolation between two stored time steps (from
values and time derivatives at each end), and summation of the Fourier series at arbitrary x (exact
trigonometric interpolation), driven step interval by step interval as the integration proceeds.
Each solver supplies only its integrator and how it turns two bracketing states into coefficients.
"""

import numpy as np


def hermite_weights(theta: np.ndarray, h: float):
    """Cubic Hermite weights of y(t_n), h·y′(t_n), y(t_n+1), h·y′(t_n+1) at t = t_n + θh."""
    return ((1 + 2 * theta) * (1 - theta) ** 2, h * theta * (1 - theta) ** 2,
            theta**2 * (3 - 2 * theta), h * theta**2 * (theta - 1))


class StepBrackets:
    """The distinct requested times t (any shape) and the steps of length h = t_end/steps around them.

    Each distinct time lies in step interval `step` (t_n ≤ t ≤ t_n + h); t = t_end falls in the last
    one. Times are sorted, so each interval's times, and (in `order`) their points, are contiguous:
    times[first_time[n]:first_time[n + 1]] lie in interval n, and order[first_point[i]:first_point[i + 1]]
    are the points at times[i]. `kept` are the steps an integrator must yield (both ends of each
    interval in use).
    """

    def __init__(self, t: np.ndarray, t_end: float, steps: int):
        self.h = t_end / steps
        self.times, self.time_of_point = np.unique(np.ravel(t), return_inverse=True)
        self.step = np.minimum((self.times / self.h).astype(np.int64), steps - 1)
        self.kept = np.union1d(self.step, self.step + 1)
        self.order = np.argsort(self.time_of_point, kind="stable")
        self.first_point = np.searchsorted(self.time_of_point[self.order], np.arange(len(self.times) + 1))
        self.first_time = np.searchsorted(self.step, np.arange(steps + 1))


def sum_between_steps(brackets: StepBrackets, x: np.ndarray, kappa: float, width: int, states,
                      coefficients) -> np.ndarray:
    """Σ_{j<width} c_j(t_p)·e^{iκjx_p} at every point p (x flat, one x per point of brackets' t).

    states yields (step, …) at the steps brackets.kept, in order (the integrator). As soon as it
    reaches the second of two consecutive steps n, n + 1, coefficients(previous, current, rows) gives
    the c_j (one row per distinct time, width columns) for the distinct times brackets.times[rows], all
    in interval n; it is asked for up to per_chunk consecutive times at a time, and the coefficients of
    up to per_chunk times are summed at their points in one go (only the two states around the current
    interval are held).
    """
    b = brackets
    per_chunk = max(1, 2**18 // width)
    series = series_evaluator(x, kappa, width, len(b.times))
    values = np.empty(x.size, dtype=np.complex128)
    pending, pending_from = [], 0

    def flush(until):
        points = b.order[b.first_point[pending_from]:b.first_point[until]]
        values[points] = series(np.concatenate(pending), b.time_of_point[points] - pending_from, points)
        pending.clear()
        return until

    previous = None
    for current in states:
        if previous is not None and current[0] == previous[0] + 1:
            end = b.first_time[current[0]]
            for lo in range(b.first_time[previous[0]], end, per_chunk):
                hi = min(lo + per_chunk, end)
                pending.append(coefficients(previous, current, slice(lo, hi)))
                if sum(len(c) for c in pending) >= per_chunk:
                    pending_from = flush(hi)
        previous = current
    if pending:
        flush(len(b.times))
    return values


def series_evaluator(x: np.ndarray, kappa: float, width: int, n_rows: int):
    """A function (c, row, points) ↦ Σ_{j<width} c[row_p, j]·e^{iκjx_p} for p in points.

    On grids (n_rows distinct times × few distinct x) the e^{iκjx} for every distinct x are tabulated
    once and each block of coefficients meets them in one matrix product. Scattered points are summed
    one by one, in chunks that bound the memory, with e^{iκjx} = e^{iκqRx}·e^{iκrx} (j = qR + r): ~2√J
    exponentials per point rather than J.
    """
    distinct_x, column = np.unique(x, return_inverse=True)
    if n_rows * len(distinct_x) <= 4 * len(x) and width * len(distinct_x) <= 2**21:
        phases = np.exp(1j * kappa * np.outer(np.arange(width), distinct_x))
        return lambda coefficients, row, points: (coefficients @ phases)[row, column[points]]

    r_count = int(np.ceil(np.sqrt(width)))
    q_count = -(-width // r_count)
    per_chunk = max(1, 2**19 // width)

    def scattered(coefficients, row, points):
        padded = np.zeros((len(coefficients), q_count * r_count), dtype=np.complex128)
        padded[:, :width] = coefficients
        padded = padded.reshape(len(coefficients), q_count, r_count)
        out = np.empty(len(points), dtype=np.complex128)
        for start in range(0, len(points), per_chunk):
            part = slice(start, start + per_chunk)
            xp = x[points[part]]
            low = np.exp(1j * kappa * np.outer(xp, np.arange(r_count)))
            high = np.exp(1j * kappa * r_count * np.outer(xp, np.arange(q_count)))
            out[part] = np.einsum("pq,pq->p", np.einsum("pqr,pr->pq", padded[row[part]], low), high)
        return out

    return scattered
