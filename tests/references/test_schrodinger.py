"""The nonlinear Schrödinger reference against independent truths: the exact 1-soliton, the conserved
mass, its convergence in time (fourth order) and space (spectral for smooth data, N^{-3/2} for the
benchmark's corner at x = ±5)."""

import numpy as np
import pytest

from pinnsolve.references import schrodinger

# Off the collocation points of every resolution used here.
OFF_GRID = np.linspace(-5, 5, 64, endpoint=False) + 0.0123


def field(result):
    return result["u"] + 1j * result["v"]


def two_sech(x):
    return 2 / np.cosh(x)


def test_exact_one_soliton():
    """h = sech(x)·e^{it/2}: i h_t = −h/2, 0.5 h_xx = 0.5(sech − 2 sech³)e^{it/2}, |h|²h = sech³e^{it/2},
    which sum to zero. On [−20, 20] its periodic extension is smooth to ~1e-8."""
    x, t = np.meshgrid(np.linspace(-20, 20, 201), np.linspace(0, np.pi / 2, 9))
    result = schrodinger(x, t, modes=256, steps=400, initial=lambda x: 1 / np.cosh(x), half_width=20.0)
    exact = np.exp(0.5j * t) / np.cosh(x)
    assert np.max(np.abs(field(result) - exact)) < 1e-8
    np.testing.assert_allclose(result["h"], 1 / np.cosh(x), rtol=0, atol=1e-8)


def test_mass_is_conserved():
    """∫|h|² dx of the trigonometric interpolant, exact from 2N samples, at the steps (both substeps
    are unitary); it stays within the lost Fourier tail (~2e-9) of ∫4 sech² = 8 tanh 5."""
    modes, steps = 256, 400
    x = np.linspace(-5, 5, 2 * modes, endpoint=False)
    x, t = np.meshgrid(x, np.pi / 2 * np.arange(1, steps + 1, 57) / steps)
    mass = 10 / (2 * modes) * np.sum(np.abs(field(schrodinger(x, t, modes=modes, steps=steps))) ** 2, axis=1)
    assert np.ptp(mass) < 1e-11
    assert abs(mass[0] - 8 * np.tanh(5)) < 1e-8


def test_fourth_order_in_time():
    """The breather 2 sech x on [−20, 20] (smooth periodic extension): errors against a run with
    8-32x smaller steps fall ~16x per halving (Yoshida's composition of Strang steps)."""
    x, t = np.meshgrid(np.linspace(-20, 20, 128, endpoint=False) + 0.013, [np.pi / 4, np.pi / 2])
    options = {"modes": 512, "initial": two_sech, "half_width": 20.0}
    fine = field(schrodinger(x, t, steps=6400, **options))
    errors = [np.max(np.abs(field(schrodinger(x, t, steps=steps, **options)) - fine)) for steps in (200, 400, 800)]
    orders = np.log2(np.divide(errors[:-1], errors[1:]))
    assert np.all((orders > 3.5) & (orders < 4.5)), (errors, orders)


def test_doubling_the_modes_changes_nothing_for_smooth_data():
    x, t = np.meshgrid(np.linspace(-20, 20, 256, endpoint=False) + 0.013, [np.pi / 4, np.pi / 2])
    options = {"steps": 800, "initial": two_sech, "half_width": 20.0}
    coarse, fine = field(schrodinger(x, t, modes=1024, **options)), field(schrodinger(x, t, modes=2048, **options))
    assert np.max(np.abs(coarse - fine)) < 1e-10


def test_the_benchmark_corner_limits_convergence_to_the_three_halves_power():
    """On [−5, 5] the periodic extension of 2 sech x has a corner at ±5 (slope jump 4 sech 5 tanh 5),
    whose k⁻² Fourier tail no dispersion smooths: the L2 change per doubling of the modes falls by
    2^{3/2} ≈ 2.83 each time, at any t (here 10 of the default steps)."""
    x, t = np.linspace(-5, 5, 4096, endpoint=False) + 0.0007, 10 * np.pi / 2 / 4000
    h = {modes: field(schrodinger(x, t, modes=modes)) for modes in (256, 512, 1024, 2048)}
    changes = [np.linalg.norm(h[m] - h[2 * m]) / np.linalg.norm(h[2 * m]) for m in (256, 512, 1024)]
    ratios = np.divide(changes[:-1], changes[1:])
    assert np.all((ratios > 2.6) & (ratios < 3.1)), (changes, ratios)


def test_between_steps_matches_a_run_whose_steps_land_there():
    """Hermite interpolation (with the linear phase divided out) between steps of π/3200, against a
    run with steps of π/6400, whose steps fall on those times: no worse than the two runs' difference
    at their common steps."""
    steps = 1600
    errors = []
    for offset in (0.5, 0.0):
        x, t = np.meshgrid(OFF_GRID, np.pi / 2 * (np.arange(0, steps, 23) + offset) / steps)
        coarse = field(schrodinger(x, t, modes=128, steps=steps))
        errors.append(np.max(np.abs(coarse - field(schrodinger(x, t, modes=128, steps=2 * steps)))))
    assert errors[0] < 1.5e-6 and errors[0] < 2 * errors[1], errors


def test_initial_data_outputs_and_evaluation_paths():
    """t = 0 returns the initial data as given; h = |u + iv|; x and t broadcast; grid-shaped and
    scattered requests (different summation paths) give the same values."""
    x, t = np.meshgrid(OFF_GRID, np.linspace(0, np.pi / 2, 11))
    result = schrodinger(x, t, modes=128, steps=50)
    assert set(result) == {"u", "v", "h"} and all(value.shape == x.shape for value in result.values())
    np.testing.assert_array_equal(result["u"][0], 2 / np.cosh(OFF_GRID))
    np.testing.assert_array_equal(result["v"][0], 0.0)
    np.testing.assert_allclose(result["h"], np.hypot(result["u"], result["v"]), rtol=1e-15)
    pick = np.random.default_rng(1).choice(x.size, 40, replace=False)
    scattered = field(schrodinger(x.ravel()[pick], t.ravel()[pick], modes=128, steps=50))
    np.testing.assert_allclose(scattered, field(result).ravel()[pick], rtol=0, atol=1e-13)


@pytest.mark.parametrize("kwargs, message", [
    ({"modes": 255}, "modes"),
    ({"modes": 8}, "modes"),
    ({"modes": 256.0}, "modes"),
    ({"steps": 0}, "steps"),
    ({"steps": 10.5}, "steps"),
    ({"half_width": -5.0}, "half_width"),
    ({"half_width": np.inf}, "half_width"),
    ({"initial": 2.0}, "initial"),
    ({"initial": lambda x: np.ones(3)}, "initial"),
    ({"initial": lambda x: np.full_like(x, np.nan)}, "initial"),
    ({"x": 5.5}, "x must lie"),
    ({"x": np.nan}, "x must lie"),
    ({"t": -0.1}, "t must lie"),
    ({"t": 1.6}, "t must lie"),
])
def test_rejects_bad_arguments(kwargs, message):
    arguments = {"x": 0.0, "t": 0.5, "modes": 64, "steps": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        schrodinger(**arguments)
