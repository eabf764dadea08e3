"""Gauss–Newton methods: the Jacobian, the Gramian, one step by hand, and convergence."""

import pytest
import torch

from pinnsolve.optim.gauss_newton import METHODS, GaussNewton, damped_solve, gramian, jacobian_rows

D = dict(dtype=torch.float64)


def residual(x):
    """r(x) = (x₀² − 1, x₀x₁ − 2, x₁ − 1.5): nonlinear, and with no exact zero."""
    return torch.stack([x[0] ** 2 - 1, x[0] * x[1] - 2, x[1] - 1.5])


def optimizer_for(x, method, residuals=residual, **options):
    return GaussNewton([x], lambda: [residuals(x)], lambda: float(residuals(x).detach().square().sum()),
                       method=method, **options)


def test_jacobian_rows_match_autograd():
    weight = torch.randn(3, 4, **D, requires_grad=True)
    bias = torch.randn(3, **D, requires_grad=True)
    unused = torch.randn(2, **D, requires_grad=True)
    points = torch.randn(5, 4, **D)
    f = lambda w, b, u: torch.tanh(points @ w.T + b).sum(dim=1) ** 2  # noqa: E731
    rows = jacobian_rows(f(weight, bias, unused), [weight, bias, unused])
    full = torch.autograd.functional.jacobian(f, (weight, bias, unused))
    expected = torch.cat([j.reshape(5, -1) for j in full], dim=1)
    assert rows.shape == (5, 12 + 3 + 2) and torch.allclose(rows, expected, atol=1e-14)


@pytest.mark.parametrize("rows_per_product", [1, 3, 1024])
def test_gramian_from_blocks_equals_the_whole(rows_per_product):
    x = torch.tensor([1.2, 0.8, -0.3], **D, requires_grad=True)
    r = lambda: torch.stack([x[0] * x[1], x[1] ** 3, torch.sin(x[2]), x[0] + x[2], x[2] ** 2])  # noqa: E731
    squares, G, Jr = gramian([r()[:2], r()[2:4], r()[4:]], [x], rows_per_product)
    J = torch.autograd.functional.jacobian(lambda v: torch.stack([v[0] * v[1], v[1] ** 3, torch.sin(v[2]), v[0] + v[2],
                                                                   v[2] ** 2]), x.detach())
    value = r().detach()
    assert squares == pytest.approx(float(value @ value), rel=1e-15)
    assert torch.allclose(G, J.T @ J, atol=1e-14) and torch.allclose(Jr, J.T @ value, atol=1e-14)


def hand_step(x, damping):
    """The Gauss–Newton step at x for `residual`, its Jacobian written out by hand."""
    x0, x1 = float(x[0]), float(x[1])
    J = torch.tensor([[2 * x0, 0.0], [x1, x0], [0.0, 1.0]], **D)
    G = J.T @ J
    lam = damping * float(G.diagonal().mean())
    return -torch.linalg.solve(G + lam * torch.eye(2, **D), J.T @ residual(torch.tensor([x0, x1], **D)))


def test_levenberg_marquardt_takes_the_damped_gauss_newton_step():
    x = torch.tensor([1.2, 0.8], **D, requires_grad=True)
    start = x.detach().clone()
    optimizer_for(x, "lm", damping=1e-3, max_iter=1).step()
    assert torch.allclose(x.detach() - start, hand_step(start, 1e-3), atol=1e-14)


def test_natural_gradient_moves_along_the_gauss_newton_direction():
    x = torch.tensor([1.2, 0.8], **D, requires_grad=True)
    start = x.detach().clone()
    optimizer_for(x, "natural_gradient", damping=1e-12, max_iter=1).step()
    step, direction = x.detach() - start, hand_step(start, 1e-12)
    eta = float(step @ direction / (direction @ direction))
    assert min(abs(eta / 2.0 ** -k - 1) for k in range(40)) < 1e-12  # a point of the line-search grid
    assert torch.allclose(step, eta * direction, atol=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_solves_a_linear_least_squares_problem_in_one_step(method):
    generator = torch.Generator().manual_seed(1)
    A, b = torch.randn(8, 3, generator=generator, **D), torch.randn(8, generator=generator, **D)
    x = torch.zeros(3, **D, requires_grad=True)
    optimizer_for(x, method, residuals=lambda v: A @ v - b, damping=1e-14, max_iter=1).step()
    assert torch.allclose(x.detach(), torch.linalg.lstsq(A, b.unsqueeze(1)).solution.squeeze(1), atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_minimises_the_rosenbrock_function(method):
    # Rosenbrock as a least-squares problem: (10(x₁ − x₀²))² + (1 − x₀)²
    x = torch.tensor([-1.2, 1.0], **D, requires_grad=True)
    optimizer = optimizer_for(x, method, residuals=lambda v: torch.stack([10 * (v[1] - v[0] ** 2), 1 - v[0]]),
                              max_iter=200)
    optimizer.step()
    assert (x.detach() - 1).abs().max() < 1e-10
    assert optimizer.state[x]["n_iter"] < 100


@pytest.mark.parametrize("method", METHODS)
def test_a_minimum_ends_the_call_early_and_keeps_the_parameters(method):
    x = torch.tensor([1.0, 1.0], **D, requires_grad=True)
    optimizer = optimizer_for(x, method, residuals=lambda v: torch.stack([v[0] - 1, 2 * (v[1] - 1)]), max_iter=10)
    optimizer.step()
    assert optimizer.state[x]["n_iter"] == 0 and torch.equal(x.detach(), torch.ones(2, **D))


def test_damped_solve_reports_an_indefinite_matrix():
    assert damped_solve(torch.tensor([[1.0, 0], [0, -1.0]], **D), torch.ones(2, **D), 0.5) is None
    assert torch.allclose(damped_solve(torch.eye(2, **D), torch.ones(2, **D), 1.0), torch.full((2,), 0.5, **D))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown method 'newton'"):
        GaussNewton([torch.zeros(2, requires_grad=True)], list, float, method="newton")
