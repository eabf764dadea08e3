"""Tests of causal weighting in time: the loss and its gradient against a hand computation, its
limits, its place in the objective and the training history, and its spec options."""

import math

import numpy as np
import pytest
import torch

from pinnsolve import CausalWeighting, Domain, Initial, Problem, TrainingConfig, solve
from pinnsolve.errors import SpecError
from pinnsolve.objective import Objective
from pinnsolve.solve import build_model
from pinnsolve.spec import build_spec
from pinnsolve.terms import INTERIOR, PointSet


def by_hand(squares, times, epsilon, bins, start, end):
    """(1/M) Σ_i w_i L_i with w_i = exp(−ε Σ_{k<i} L_k), L_i the mean of the squares in bin i."""
    means = []
    for i in range(bins):
        lo, hi = start + (end - start) * i / bins, start + (end - start) * (i + 1) / bins
        inside = [s for s, t in zip(squares, times) if lo <= t < hi or (i == bins - 1 and t == end)]
        means.append(sum(inside) / len(inside) if inside else 0.0)
    weights = [math.exp(-epsilon * sum(means[:i])) for i in range(bins)]
    return sum(w * m for w, m in zip(weights, means)) / bins, min(weights)


def test_loss_and_smallest_weight_match_a_hand_computation():
    rng = np.random.default_rng(0)
    times = rng.uniform(2.0, 4.0, 50)
    times[:2] = [2.0, 4.0]  # both ends belong to a bin
    residual = rng.normal(size=50)
    loss, smallest = CausalWeighting(epsilon=0.7, bins=6).reduce(torch.tensor(residual), torch.tensor(times), 2.0, 4.0)
    expected, expected_smallest = by_hand(residual ** 2, times, 0.7, 6, 2.0, 4.0)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert smallest == pytest.approx(expected_smallest, rel=1e-12)


def test_several_residual_columns_are_averaged_per_point():
    rng = np.random.default_rng(1)
    times, residual = rng.uniform(0, 1, 20), rng.normal(size=(20, 3))
    loss, _ = CausalWeighting(epsilon=2.0, bins=4).reduce(torch.tensor(residual), torch.tensor(times), 0.0, 1.0)
    assert loss.item() == pytest.approx(by_hand((residual ** 2).mean(axis=1), times, 2.0, 4, 0.0, 1.0)[0], rel=1e-12)


def test_weights_are_held_constant_in_the_gradient():
    rng = np.random.default_rng(2)
    times = torch.tensor(rng.uniform(0, 1, 40))
    residual = torch.tensor(rng.normal(size=40), requires_grad=True)
    causal = CausalWeighting(epsilon=3.0, bins=5)
    loss, _ = causal.reduce(residual, times, 0.0, 1.0)
    (gradient,) = torch.autograd.grad(loss, residual)
    # d/dr_j of (1/M) Σ w_i L_i with w fixed: w_{b(j)} · 2 r_j / (M · n_{b(j)})
    bins = (times * 5).long().clamp(max=4)
    counts = torch.bincount(bins, minlength=5).double()
    squares = residual.detach() ** 2
    means = torch.zeros(5, dtype=torch.float64).index_add(0, bins, squares) / counts
    weights = torch.exp(-3.0 * (torch.cumsum(means, 0) - means))
    expected = weights[bins] * 2 * residual.detach() / (5 * counts[bins])
    torch.testing.assert_close(gradient, expected, rtol=1e-12, atol=1e-14)


def test_empty_bins_add_nothing_and_hold_nothing_back():
    times = torch.tensor([0.05, 0.06, 0.95])  # bins 0 and 9 of 10
    residual = torch.tensor([1.0, 3.0, 2.0], dtype=torch.float64)
    loss, smallest = CausalWeighting(epsilon=0.5, bins=10).reduce(residual, times.double(), 0.0, 1.0)
    assert loss.item() == pytest.approx((5.0 + math.exp(-0.5 * 5.0) * 4.0) / 10, rel=1e-12)
    assert smallest == pytest.approx(math.exp(-2.5), rel=1e-12)


def test_a_tiny_epsilon_gives_the_mean_of_the_bin_means():
    rng = np.random.default_rng(3)
    times, residual = torch.tensor(rng.uniform(0, 1, 64)), torch.tensor(rng.normal(size=64))
    loss, smallest = CausalWeighting(epsilon=1e-12, bins=4).reduce(residual, times, 0.0, 1.0)
    bins = (times * 4).long()
    means = [float((residual[bins == i] ** 2).mean()) for i in range(4)]
    assert loss.item() == pytest.approx(np.mean(means), rel=1e-9)
    assert smallest == pytest.approx(1.0)


@pytest.mark.parametrize("options", [{"epsilon": 0.0}, {"epsilon": -1.0}, {"epsilon": float("inf")},
                                     {"bins": 1}, {"bins": 2.5}, {"bins": True}])
def test_bad_options_are_value_errors(options):
    with pytest.raises(ValueError, match="causal"):
        CausalWeighting(**options)


def heat():
    return Problem(Domain(x=(0.0, 1.0), t=(0.0, 2.0)), ["u"], lambda f, p: f["u_t"] - f["u_xx"],
                   conditions=[Initial("u", value=lambda f, p: torch.sin(math.pi * f["x"]))])


def test_objective_reduces_interior_terms_causally_and_conditions_plainly():
    problem = heat()
    torch.manual_seed(0)
    network = build_model(problem)
    rng = np.random.default_rng(4)
    interior = torch.tensor(rng.uniform([0, 0], [1, 2], size=(64, 2)), dtype=torch.float32)
    initial = torch.tensor(np.column_stack([rng.uniform(0, 1, 16), np.zeros(16)]), dtype=torch.float32)
    batches = {INTERIOR: PointSet(interior), "initial": PointSet(initial)}
    causal = CausalWeighting(epsilon=5.0, bins=8)
    plain, weighted = Objective(problem, network), Objective(problem, network, causal)
    residuals = dict((term.name, r) for term, r in plain.residuals(batches, plain.terms))
    losses = weighted.losses(batches)
    expected, smallest = causal.reduce(residuals["pde"], interior[:, 1], 0.0, 2.0)
    assert losses["pde"].item() == pytest.approx(expected.item(), rel=1e-6)
    assert losses["initial"].item() == pytest.approx(plain.losses(batches)["initial"].item(), rel=1e-6)
    assert weighted.causal_weights == {"pde": pytest.approx(smallest)}


def test_training_records_the_smallest_weight():
    config = TrainingConfig(iterations=20, log_every=10, points={"pde": 64, "initial": 16},
                            causal=CausalWeighting(epsilon=1.0, bins=4))
    result = solve(heat(), {"width": 8, "depth": 2}, training=config, axes={"x": np.linspace(0, 1, 5),
                                                                           "t": np.linspace(0, 2, 5)})
    smallest = result.history["causal/pde"]
    assert len(smallest) == 2 and np.all((smallest > 0) & (smallest <= 1))
    assert "causal/pde" not in solve(heat(), {"width": 8, "depth": 2}, training=TrainingConfig(
        iterations=10, points={"pde": 64, "initial": 16}), axes={"x": np.linspace(0, 1, 5),
                                                                   "t": np.linspace(0, 2, 5)}).history


def training_spec(causal):
    document = {"variables": {"x": [0, 1], "t": [0, 1]}, "fields": ["u"], "pde": "u_t - u_xx",
                "training": {"causal": causal}}
    return build_spec(document).training


def test_spec_option_and_its_defaults():
    assert training_spec({"epsilon": 10, "bins": 16}).causal == CausalWeighting(epsilon=10.0, bins=16, variable="t")
    assert training_spec({}).causal == CausalWeighting()


@pytest.mark.parametrize("causal, path, message", [
    ([1], "training.causal", "expected a mapping"),
    ({"epsilon": 0}, "training.causal.epsilon", "must be positive, got 0"),
    ({"bins": 1}, "training.causal.bins", "must lie in [2, 100000], got 1"),
    ({"variable": "s"}, "training.causal.variable", "expected one of: x, t; got 's'"),
    ({"eps": 1}, "training.causal.eps", "unknown key"),
])
def test_spec_errors_name_the_field(causal, path, message):
    with pytest.raises(SpecError) as caught:
        training_spec(causal)
    assert caught.value.path == path
    assert message in caught.value.message
