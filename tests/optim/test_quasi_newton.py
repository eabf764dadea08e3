"""Dense quasi-Newton methods: the updates against their published formulas, and convergence."""

import math

import numpy as np
import pytest
import torch

from pinnsolve.optim.line_search import strong_wolfe
from pinnsolve.optim.quasi_newton import UPDATES, DenseQuasiNewton, update_inverse_hessian



@pytest.fixture(autouse=True)
def float64():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def minimise(function, x0, update, max_iter=1000):
    x = torch.tensor(x0, requires_grad=True)

    def closure():
        x.grad = None
        value = function(x)
        value.backward()
        return value

    optimizer = DenseQuasiNewton([x], update=update, max_iter=max_iter)
    optimizer.step(closure)
    return x.detach(), optimizer.state[x]["n_iter"]


@pytest.mark.parametrize("update", UPDATES)
def test_minimises_the_rosenbrock_function(update):
    x, iterations = minimise(rosenbrock, [-1.2, 1.0, -1.2, 1.0, 0.5], update)
    assert (x - 1).abs().max() < 1e-10 and rosenbrock(x) < 1e-20
    assert iterations < 200


@pytest.mark.parametrize("update", UPDATES)
def test_minimises_a_quadratic(update):
    generator = torch.Generator().manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(12, 12, generator=generator))
    A = Q @ torch.diag(torch.logspace(0, 2, 12)) @ Q.T  # condition number 100
    solution = torch.randn(12, generator=generator)
    quadratic = lambda x: 0.5 * (x - solution) @ A @ (x - solution)  # noqa: E731
    x, _ = minimise(quadratic, [0.0] * 12, update)
    assert (x - solution).abs().max() < 1e-10 and quadratic(x) < 1e-20


def pair(seed=3, n=4):
    """A step s along −Hg, a gradient change y with yᵀs > 0 that H overestimates (b = sᵀBs/yᵀs ≈ 2,
    so that the self-scaling acts), the old gradient g and a symmetric positive definite H."""
    generator = torch.Generator().manual_seed(seed)
    M = torch.randn(n, n, generator=generator)
    H = M @ M.T + torch.eye(n)
    g = torch.randn(n, generator=generator)
    alpha = 0.7
    s = -alpha * H @ g
    y = 0.5 * torch.linalg.solve(H, s) + 0.05 * s.norm() * torch.randn(n, generator=generator)
    assert s @ y > 0
    return H, s, y, g, alpha


@pytest.mark.parametrize("update", UPDATES)
@pytest.mark.parametrize("first", [True, False])
def test_every_update_satisfies_the_secant_equation_and_stays_positive_definite(update, first):
    H, s, y, g, alpha = pair()
    if first:
        H, s = None, -alpha * g  # the first step goes along −g
    updated = update_inverse_hessian(None if first else H.clone(), s, y, g, alpha, update)
    assert torch.allclose(updated @ y, s, atol=1e-12, rtol=1e-10)
    assert torch.allclose(updated, updated.T, atol=1e-12)
    assert torch.linalg.eigvalsh(updated).min() > 0


def test_bfgs_is_the_textbook_update():
    H, s, y, g, alpha = pair()
    rho = 1 / (y @ s)
    I = torch.eye(len(s))
    expected = (I - rho * torch.outer(s, y)) @ H @ (I - rho * torch.outer(y, s)) + rho * torch.outer(s, s)
    assert torch.allclose(update_inverse_hessian(H.clone(), s, y, g, alpha, "bfgs"), expected, atol=1e-12)


def test_ssbfgs_scales_by_al_baalis_tau():
    H, s, y, g, alpha = pair()
    b = float(-alpha * (s @ g) / (s @ y))
    tau = min(1.0, 1 / b)
    assert tau < 1  # the example exercises the scaling
    expected = update_inverse_hessian(H.clone() / tau, s, y, g, alpha, "bfgs")
    assert torch.allclose(update_inverse_hessian(H.clone(), s, y, g, alpha, "ssbfgs"), expected, atol=1e-12)


def published_ssbroyden_hessian(B, s, y, n):
    """The self-scaled Broyden update of the Hessian B itself (Urbán, Stefanou & Pons 2025, eqs. 14-23,
    in their direct form): B⁺ = τ·(B − BssᵀB/sᵀBs + θ·sᵀBs·wwᵀ) + yyᵀ/yᵀs, w = y/yᵀs − Bs/sᵀBs."""
    sy, sBs = s @ y, s @ B @ s
    H = np.linalg.inv(B)
    b, h = sBs / sy, y @ H @ y / sy
    a = b * h - 1
    rho_minus = min(1, h * (1 - math.sqrt(abs(a) / (1 + a))))
    theta = max((rho_minus - 1) / a, min(1 / rho_minus, (1 - b) / b))
    sigma = 1 + theta * a
    root = abs(sigma) ** (1 / (1 - n))
    tau = min(min(1, 1 / b) * root, sigma) if theta <= 0 else min(1, 1 / b) * min(root, 1 / theta)
    Bs = B @ s
    w = y / sy - Bs / sBs
    return tau * (B - np.outer(Bs, Bs) / sBs + theta * sBs * np.outer(w, w)) + np.outer(y, y) / sy


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_ssbroyden_matches_the_published_update_of_the_hessian(seed):
    H, s, y, g, alpha = pair(seed)
    updated = update_inverse_hessian(H.clone(), s, y, g, alpha, "ssbroyden")
    direct = published_ssbroyden_hessian(np.linalg.inv(H.numpy()), s.numpy(), y.numpy(), len(s))
    assert np.allclose(np.linalg.inv(updated.numpy()), direct, rtol=1e-9, atol=1e-10)


def test_ssbroyden_by_hand_in_two_dimensions():
    # H = I, s = (1, 0) (a step along −g with alpha = 1, g = (−1, 0)), y = (2, 1):
    # yᵀs = 2, b = sᵀBs/yᵀs = 1/2, h = yᵀHy/yᵀs = 5/2, a = bh − 1 = 1/4. As a first update:
    # ρ⁻ = min(1, h(1 − √(a/(1+a)))) = 1, θ⁻ = 0, θ⁺ = 1, θ = max(0, min(1, (1 − b)/b)) = 1,
    # so φ = (1 − θ)/(1 + aθ) = 0 (the DFP member) and τ = h/(1 + aθ) = 2.
    # H⁺ = (I − HyyᵀH/5)/2 + ssᵀ/2 = [[1/2 − 2/5 + 1/2, −1/5], [−1/5, 1/2 − 1/10]].
    s, y, g = torch.tensor([1.0, 0.0]), torch.tensor([2.0, 1.0]), torch.tensor([-1.0, 0.0])
    expected = torch.tensor([[0.6, -0.2], [-0.2, 0.4]])
    assert torch.allclose(update_inverse_hessian(None, s, y, g, 1.0, "ssbroyden"), expected, atol=1e-15)


def test_a_pair_without_curvature_leaves_the_matrix_alone():
    H = torch.eye(3)
    s, y = torch.tensor([1.0, 0, 0]), torch.tensor([-1.0, 0, 0])
    assert update_inverse_hessian(H, s, y, -s, 1.0, "ssbroyden") is H and torch.equal(H, torch.eye(3))


def test_unknown_update_is_refused():
    with pytest.raises(ValueError, match="unknown update 'dfp'"):
        DenseQuasiNewton([torch.zeros(2, requires_grad=True)], update="dfp")


def test_line_search_meets_the_strong_wolfe_conditions():
    # φ(t) = (t − 3)² − 9 has φ'(0) = −6; the minimum at t = 3.
    evaluate = lambda t: ((t - 3) ** 2 - 9, 2 * (t - 3), None)  # noqa: E731
    trial, evals = strong_wolfe(evaluate, 0.0, -6.0, step=1.0, c1=1e-4, c2=0.1)
    assert trial.f <= 1e-4 * trial.t * -6.0 and abs(trial.d) <= 0.1 * 6
    assert evals < 10


def test_line_search_reports_no_decrease():
    evaluate = lambda t: (1.0 + t, 1.0, None)  # noqa: E731  (claims descent, but φ only grows)
    trial, _ = strong_wolfe(evaluate, 1.0, -1.0, max_evals=10)
    assert trial is None


def test_optimizer_state_resumes_bit_for_bit():
    def run(split):
        x = torch.tensor([-1.2, 1.0, 0.3], requires_grad=True)

        def closure():
            x.grad = None
            value = rosenbrock(x)
            value.backward()
            return value

        optimizer = DenseQuasiNewton([x], update="ssbroyden", max_iter=split)
        optimizer.step(closure)
        state = optimizer.state_dict()
        again = DenseQuasiNewton([x], update="ssbroyden")
        again.load_state_dict(state)
        again.param_groups[0].update(max_iter=20 - split, max_eval=200)  # as the training loop sets them
        again.step(closure)
        return x.detach()

    assert torch.equal(run(7), run(13))
