"""Every bundled problem, trained as shipped, against its reference solution.

The heat equation runs in the default suite (about half a minute); Burgers takes a few minutes and
is marked ``validation``: run it with ``python3 -m pytest -m validation``.
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
