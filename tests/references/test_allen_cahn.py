"""The Allen–Cahn reference against independent truths: its convergence in time (fourth order) and
space, the closed-form solution of the reaction ODE when diffusion is switched off, a plain
pseudo-spectral integrator written here, and the PDE itself by finite differences."""

import numpy as np
import pytest

from pinnsolve.references import allen_cahn

D = 1e-4
# Off the collocation points of every resolution used here (x_j = -1 + 2j/N).
OFF_GRID = np.linspace(-1, 1, 64, endpoint=False) + 0.0123


def initial(x):
    return x**2 * np.cos(np.pi * x)


def test_fourth_order_in_time():
    """Errors against a run with 10-40x smaller steps fall 16x per halving of the step (ETDRK4)."""
    x, t = np.meshgrid(OFF_GRID, [0.25, 0.5, 1.0])
    fine = allen_cahn(x, t, modes=256, steps=1600)
    errors = [np.max(np.abs(allen_cahn(x, t, modes=256, steps=steps) - fine)) for steps in (40, 80, 160)]
    orders = np.log2(np.divide(errors[:-1], errors[1:]))
    assert np.all((orders > 3.7) & (orders < 4.3)), (errors, orders)


def test_doubling_the_modes_changes_nothing_once_resolved():
    x, t = np.meshgrid(np.linspace(-1, 1, 301), [0.5, 1.0])
    coarse, fine = allen_cahn(x, t, steps=500), allen_cahn(x, t, modes=2048, steps=500)
    assert np.max(np.abs(coarse - fine)) < 1e-10


def test_corner_at_the_boundary_is_resolved_at_early_times():
    """The periodic extension of x² cos(πx) has a corner at x = ±1 that d = 1e-4 smooths only over
    √(d·t) ≈ 1e-3 by t = 0.01. Left to the Fourier series it would cost ~1e-4 here; carried in closed
    form, doubling the modes changes the solution near it by less than 1e-7."""
    x = np.concatenate([np.linspace(-1, -0.95, 101), np.linspace(0.95, 1, 101)])
    x, t = np.meshgrid(x, [0.001, 0.005, 0.02])
    assert np.max(np.abs(allen_cahn(x, t) - allen_cahn(x, t, modes=2048))) < 1e-7


def reaction_ode(u0, t):
    """u_t = 5u − 5u³: with y = u⁻², y′ = 10 − 10y, so u² = u0²e^{10t}/(1 − u0² + u0²e^{10t})."""
    return u0 * np.exp(5 * t) / np.sqrt(1 - u0**2 + u0**2 * np.exp(10 * t))


@pytest.mark.parametrize("t", [0.1, 0.25, 0.5])
def test_without_diffusion_every_point_follows_the_reaction_ode(t):
    x = np.random.default_rng(0).uniform(-1, 1, 200)
    u = allen_cahn(x, t, diffusion=0.0, steps=400)
    np.testing.assert_allclose(u, reaction_ode(initial(x), t), rtol=0, atol=1e-8)


def test_without_diffusion_collocation_points_follow_the_ode_even_when_fronts_are_too_steep():
    """By t = 1 the ODE steepens the zeros of u0 into fronts of width ~e⁻⁵ that no grid here
    resolves, yet the grid values themselves evolve by the pointwise ODE (RK4 error only)."""
    x = -1 + 2 * np.arange(256) / 256
    u = allen_cahn(x, 1.0, diffusion=0.0, modes=256, steps=200)
    np.testing.assert_allclose(u, reaction_ode(initial(x), 1.0), rtol=0, atol=1e-7)


def plain_pseudo_spectral(modes: int, steps: int):
    """u(x_j, 1) by integrating-factor (Lawson) RK4 on the plain Fourier series, no corner treatment;
    by t = 1 diffusion and the reaction (rate −10 at u = −1) have flattened the corner."""
    x = -1 + 2 * np.arange(modes) / modes
    h = 1.0 / steps
    decay = np.exp(-D * (np.pi * np.arange(modes // 2 + 1)) ** 2 * h / 2)

    def reaction(v):
        u = np.fft.irfft(v, modes)
        return np.fft.rfft(5 * u - 5 * u**3)

    v = np.fft.rfft(initial(x))
    for _ in range(steps):
        k1 = reaction(v)
        k2 = reaction(decay * (v + h / 2 * k1))
        k3 = reaction(decay * v + h / 2 * k2)
        k4 = reaction(decay**2 * v + h * decay * k3)
        v = decay**2 * v + h / 6 * (decay**2 * k1 + 2 * decay * (k2 + k3) + k4)
    return x, np.fft.irfft(v, modes)


def test_agrees_with_a_plain_pseudo_spectral_solution_at_the_final_time():
    x, u = plain_pseudo_spectral(2048, 1000)
    np.testing.assert_allclose(allen_cahn(x[::4], 1.0), u[::4], rtol=0, atol=2e-9)


def test_satisfies_the_pde_by_finite_differences():
    """u_t − d·u_xx − 5u + 5u³ by central differences, at points clear of the interfaces, in one call."""
    x, t, dx, dt = np.array([-0.9, -0.7, -0.3, 0.0, 0.2, 0.6, 0.85]), np.array([[0.05], [0.3], [0.9]]), 1e-3, 1e-4
    x, t = np.broadcast_arrays(x, t)
    shifts = [(0, 0), (0, dt), (0, -dt), (dx, 0), (-dx, 0)]
    u, u_later, u_earlier, u_right, u_left = allen_cahn(
        np.stack([x + a for a, _ in shifts]), np.stack([t + b for _, b in shifts]))
    u_t = (u_later - u_earlier) / (2 * dt)
    u_xx = (u_right - 2 * u + u_left) / dx**2
    np.testing.assert_allclose(u_t - D * u_xx - 5 * u + 5 * u**3, 0.0, atol=1e-6)


def test_between_steps_matches_a_run_whose_steps_land_there():
    """Cubic Hermite interpolation between steps of 1/200 against a run with steps of 1/400, whose
    steps fall on those times: no worse than the two runs' difference at their common steps."""
    midpoints, steps = (np.arange(0, 200, 7) + 0.5) / 200, np.arange(0, 200, 7) / 200
    errors = []
    for times in (midpoints, steps):
        x, t = np.meshgrid(OFF_GRID, times)
        errors.append(np.max(np.abs(allen_cahn(x, t, modes=256, steps=200) - allen_cahn(x, t, modes=256, steps=400))))
    assert errors[0] < 3e-8 and errors[0] < 4 * errors[1], errors


def test_shape_symmetry_and_evaluation_paths_agree():
    """x and t broadcast; u is even in x; grid-shaped and scattered requests (different summation
    paths) give the same values."""
    x, t = np.meshgrid(OFF_GRID, np.linspace(0, 1, 11))
    u = allen_cahn(x, t, modes=128, steps=50)
    assert u.shape == x.shape
    np.testing.assert_allclose(allen_cahn(-x, t, modes=128, steps=50), u, rtol=0, atol=1e-12)
    pick = np.random.default_rng(1).choice(x.size, 40, replace=False)
    scattered = allen_cahn(x.ravel()[pick], t.ravel()[pick], modes=128, steps=50)
    np.testing.assert_allclose(scattered, u.ravel()[pick], rtol=0, atol=1e-13)
    assert allen_cahn(0.3, 0.2, modes=128, steps=50).shape == ()


@pytest.mark.parametrize("kwargs, message", [
    ({"diffusion": -1e-4}, "diffusion"),
    ({"diffusion": np.nan}, "diffusion"),
    ({"modes": 255}, "modes"),
    ({"modes": 8}, "modes"),
    ({"modes": 256.0}, "modes"),
    ({"steps": 0}, "steps"),
    ({"steps": 10.5}, "steps"),
    ({"x": 1.5}, "x must lie"),
    ({"x": np.nan}, "x must lie"),
    ({"t": -0.1}, "t must lie"),
    ({"t": 1.01}, "t must lie"),
])
def test_rejects_bad_arguments(kwargs, message):
    arguments = {"x": 0.0, "t": 0.5, "modes": 64, "steps": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        allen_cahn(**arguments)
