"""Every bundled problem, trained as shipped, against its reference solution.

The heat equation runs in the default suite (seconds); Burgers (about three minutes) and Helmholtz
(about two) are marked ``validation``: run them with ``python3 -m pytest -m validation``.
"""

from pathlib import Path

import numpy as np
import pytest

from pinnsolve import solve
from pinnsolve.spec import load_spec

PROBLEMS = Path(__file__).resolve().parents[2] / "problems"


def run_bundled(name: str):
    spec = load_spec(PROBLEMS / f"{name}.yaml")
    return solve(spec.problem, spec.network, spec.optimizer, spec.weighting, spec.training, spec.axes, spec=spec.text)


def test_heat_matches_its_analytic_solution():
    result = run_bundled("heat")
    assert result.metrics["u"]["rel_l2"] <= 2e-3
    x, t = np.meshgrid(result.axes["x"], result.axes["t"], indexing="ij")
    exact = np.exp(-0.05 * np.pi**2 * t) * np.sin(np.pi * x) + 0.5 * np.exp(-0.45 * np.pi**2 * t) * np.sin(3 * np.pi * x)
    np.testing.assert_allclose(result.reference["u"], exact, atol=1e-12)  # the reference is the exact solution


@pytest.mark.validation
def test_burgers_reaches_raissi_accuracy():
    """Raissi, Perdikaris & Karniadakis (2019) report a relative L2 error of 6.7e-4."""
    result = run_bundled("burgers")
    assert result.reference["u"].shape == (256, 100)
    assert result.metrics["u"]["rel_l2"] <= 1e-3


@pytest.mark.validation
def test_helmholtz_beats_the_annealed_figure_of_wang_teng_perdikaris():
    """Wang, Teng & Perdikaris (2021) report 1.27e-2 with their learning-rate annealing."""
    result = run_bundled("helmholtz")
    x, y = np.meshgrid(result.axes["x"], result.axes["y"], indexing="ij")
    np.testing.assert_allclose(result.reference["u"], np.sin(np.pi * x) * np.sin(4 * np.pi * y), atol=1e-12)
    assert result.metrics["u"]["rel_l2"] <= 1.27e-2
