"""The ODE reference against closed-form solutions."""

import numpy as np
import pytest

from pinnsolve.references.ode import ode_solution


def test_a_harmonic_oscillator_matches_cos_and_sin():
    # x' = v, v' = -4x, x(0) = 1, v(0) = 0: x = cos 2t, v = -2 sin 2t
    solution = ode_solution(lambda t, y: np.array([y[1], -4 * y[0]]), [1.0, 0.0], 0.0, 10.0)
    t = np.linspace(0, 10, 1001)
    x, v = solution(t)
    assert np.max(np.abs(x - np.cos(2 * t))) < 1e-10 and np.max(np.abs(v + 2 * np.sin(2 * t))) < 1e-10


def test_the_logistic_equation_between_steps_and_on_a_grid():
    # y' = y (1 - y), y(0) = 0.1: y = 1 / (1 + 9 e^{-t})
    solution = ode_solution(lambda t, y: y * (1 - y), [0.1], 0.0, 8.0)
    t = np.array([[0.0, 0.123456], [3.3, 8.0]])
    (y,) = solution(t)
    assert y.shape == (2, 2) and np.max(np.abs(y - 1 / (1 + 9 * np.exp(-t)))) < 1e-12


def test_times_outside_the_interval_and_empty_intervals_are_refused():
    solution = ode_solution(lambda t, y: -y, [1.0], 0.0, 1.0)
    with pytest.raises(ValueError, match="outside the integrated interval"):
        solution(np.array([1.5]))
    with pytest.raises(ValueError, match="is empty"):
        ode_solution(lambda t, y: -y, [1.0], 1.0, 1.0)
