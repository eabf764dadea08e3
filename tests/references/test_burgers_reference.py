"""The Cole–Hopf reference against independent adaptive quadrature (scipy.integrate.quad)."""

import numpy as np
import pytest
from scipy.integrate import quad

from pinnsolve.references import burgers_cole_hopf

NU = 0.01 / np.pi


def quad_reference(x: float, t: float, nu: float) -> float:
    """The Cole–Hopf integrals in the original variable η, by adaptive quadrature.

    u = -∫ sin(π(x-η)) f(x-η) G(η) dη / ∫ f(x-η) G(η) dη, f(y) = exp(-cos(πy)/(2πν)),
    G(η) = exp(-η²/(4νt)); the kernel's largest value (found on a fine grid) is divided out of both
    integrals so that they stay finite and of order one.
    """
    width = np.sqrt(4 * nu * t)

    def log_kernel(eta):
        return -np.cos(np.pi * (x - eta)) / (2 * np.pi * nu) - eta**2 / width**2 - shift

    shift = 0.0
    shift = log_kernel(np.linspace(-12 * width, 12 * width, 100_001)).max()

    # The integrand is negligible beyond 12 Gaussian widths; split at its sharp peaks (where
    # x - η is an odd integer) so the adaptive rule sees them.
    edges = sorted({-12 * width, 12 * width} | {x - k for k in (-3, -1, 1, 3) if abs(x - k) < 12 * width})
    num = den = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        num += quad(lambda e: np.sin(np.pi * (x - e)) * np.exp(log_kernel(e)), a, b, limit=400, epsabs=1e-13, epsrel=1e-12)[0]
        den += quad(lambda e: np.exp(log_kernel(e)), a, b, limit=400, epsabs=1e-13, epsrel=1e-12)[0]
    return -num / den


@pytest.mark.parametrize("x", [-0.95, -0.4, -0.02, 0.0, 0.003, 0.1, 0.7])
@pytest.mark.parametrize("t", [0.01, 0.25, 0.5, 0.99])
def test_cole_hopf_agrees_with_adaptive_quadrature(x, t):
    assert burgers_cole_hopf(x, t, NU) == pytest.approx(quad_reference(x, t, NU), abs=1e-8)


def test_initial_data_and_boundary_values():
    x = np.linspace(-1, 1, 33)
    np.testing.assert_allclose(burgers_cole_hopf(x, 0.0, NU), -np.sin(np.pi * x), atol=1e-15)
    t = np.linspace(0, 1, 11)
    np.testing.assert_allclose(burgers_cole_hopf(-1.0, t, NU), 0.0, atol=1e-12)
    np.testing.assert_allclose(burgers_cole_hopf(1.0, t, NU), 0.0, atol=1e-12)


def test_small_viscosity_stays_finite():
    """A naive exp overflows at ν = 1e-4 (e^1591); the log-sum-exp form does not."""
    u = burgers_cole_hopf(np.linspace(-1, 1, 64), 0.5, 1e-4)
    assert np.all(np.isfinite(u)) and np.max(np.abs(u)) <= 1.0


def test_solves_the_pde_by_finite_differences():
    """u_t + u u_x - ν u_xx vanishes, checked by central differences away from the shock."""
    x, t, h = np.linspace(-0.8, -0.2, 7), 0.4, 1e-4
    u = burgers_cole_hopf(x, t, NU)
    u_t = (burgers_cole_hopf(x, t + h, NU) - burgers_cole_hopf(x, t - h, NU)) / (2 * h)
    u_x = (burgers_cole_hopf(x + h, t, NU) - burgers_cole_hopf(x - h, t, NU)) / (2 * h)
    u_xx = (burgers_cole_hopf(x + h, t, NU) - 2 * u + burgers_cole_hopf(x - h, t, NU)) / h**2
    np.testing.assert_allclose(u_t + u * u_x - NU * u_xx, 0.0, atol=1e-5)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        burgers_cole_hopf(0.0, 0.5, 0.0)
    with pytest.raises(ValueError):
        burgers_cole_hopf(0.0, -0.1, NU)
