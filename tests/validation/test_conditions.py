"""Each condition type, end to end, on one-dimensional problems with known solutions.

Small networks train in seconds on these; the tolerances are far below what a wrong sign, a wrong
side or a missing term would give.
"""

import math

import numpy as np
import torch

from pinnsolve import Dirichlet, Domain, Neumann, Periodic, PolishConfig, Problem, TrainingConfig, solve

FAST = TrainingConfig(iterations=300, points={"pde": 128}, log_every=100, polish=PolishConfig(iterations=200))


def train(problem: Problem) -> float:
    lo, hi = problem.domain.bounds["x"]
    result = solve(problem, network={"width": 16, "depth": 2}, optimizer={"type": "adan", "lr": 1e-2}, training=FAST,
                   axes={"x": np.linspace(lo, hi, 201)})
    return result.metrics["u"]["rel_l2"]


def test_dirichlet_poisson():
    """-u'' = π² sin(πx), u(0) = u(1) = 0  =>  u = sin(πx)."""
    problem = Problem(Domain(x=(0, 1)), ["u"], lambda f, p: -f.u_xx - math.pi**2 * torch.sin(math.pi * f.x),
                      [Dirichlet("u", on=["x=0", "x=1"], value=0.0)],
                      reference=lambda c: {"u": np.sin(np.pi * c["x"])})
    assert train(problem) < 1e-3


def test_neumann_zero_flux():
    """-u'' = π² cos(πx), ∂u/∂n = 0 at x=1, u(0) = 1  =>  u = cos(πx). (A zero flux passes
    whatever the sign; the next test pins the sign of the outward normal.)"""
    problem = Problem(Domain(x=(0, 1)), ["u"], lambda f, p: -f.u_xx - math.pi**2 * torch.cos(math.pi * f.x),
                      [Neumann("u", on="x=1", value=0.0), Dirichlet("u", on="x=0", value=1.0)],
                      reference=lambda c: {"u": np.cos(np.pi * c["x"])})
    assert train(problem) < 1e-3


def test_neumann_outward_normal_on_the_lower_side():
    """u'' = 2 on [0, 1], outward ∂u/∂n = +1 at x=0 (u'(0) = -1), u(1) = 0  =>  u = x² - x."""
    problem = Problem(Domain(x=(0, 1)), ["u"], lambda f, p: f.u_xx - 2.0,
                      [Neumann("u", on="x=0", value=1.0), Dirichlet("u", on="x=1", value=0.0)],
                      reference=lambda c: {"u": c["x"] ** 2 - c["x"]})
    assert train(problem) < 1e-3


def test_periodic_helmholtz():
    """-u'' + u = 2 sin(x) on [0, 2π], periodic  =>  u = sin(x) (the operator is invertible)."""
    problem = Problem(Domain(x=(0, 2 * math.pi)), ["u"], lambda f, p: -f.u_xx + f.u - 2 * torch.sin(f.x),
                      [Periodic("u", variable="x")],
                      reference=lambda c: {"u": np.sin(c["x"])})
    assert train(problem) < 1e-3
