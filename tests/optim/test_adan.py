"""Tests of the Adan optimizer against a NumPy transcription of the paper's equations."""

import io

import numpy as np
import pytest
import torch

from pinnsolve.optim.adan import Adan

BETAS = (0.9, 0.8, 0.95)  # far from the defaults so bias corrections matter for every beta
EPS = 1e-6


def adan_reference(xs, grad_fn, steps, lrs, wds, *, betas=BETAS, eps=EPS, max_grad_norm=0.0,
                   no_prox=False, lr_factors=None):
    """Adan (arXiv:2208.06677, Alg. 1 with betas as 1 - paper's β) on a list of NumPy arrays.

    ``lrs[i]``/``wds[i]`` belong to array i; the lr of step k is scaled by ``lr_factors[k - 1]``.
    Returns the final arrays and, per step, whether gradient clipping was active.
    """
    b1, b2, b3 = betas
    xs = [x.copy() for x in xs]
    m = [np.zeros_like(x) for x in xs]
    v = [np.zeros_like(x) for x in xs]
    n = [np.zeros_like(x) for x in xs]
    prev, clipped = None, []
    for k in range(1, steps + 1):
        gs = grad_fn(xs)
        if max_grad_norm > 0:
            s = min(1.0, max_grad_norm / (np.sqrt(sum(np.sum(g ** 2) for g in gs)) + eps))
            clipped.append(s < 1.0)
            gs = [s * g for g in gs]
        if prev is None:
            prev = gs
        for i, g in enumerate(gs):
            d = g - prev[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * d
            n[i] = b3 * n[i] + (1 - b3) * (g + b2 * d) ** 2
            u = (m[i] / (1 - b1 ** k) + b2 * v[i] / (1 - b2 ** k)) / (
                np.sqrt(n[i]) / np.sqrt(1 - b3 ** k) + eps)
            lr = lrs[i] * (1.0 if lr_factors is None else lr_factors[k - 1])
            if no_prox:
                xs[i] = xs[i] * (1 - lr * wds[i]) - lr * u
            else:
                xs[i] = (xs[i] - lr * u) / (1 + lr * wds[i])
        prev = gs
    return xs, clipped


class Quadratic:
    """Sum over parameters of 0.5 xᵀ A x + cᵀ x: its gradient changes as x moves."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.x0 = [rng.normal(size=3), rng.normal(size=4)]
        self.A, self.c = [], []
        for x in self.x0:
            q = rng.normal(size=(x.size, x.size))
            self.A.append(q @ q.T + np.eye(x.size))
            self.c.append(3.0 * rng.normal(size=x.size))

    def grad(self, xs):
        return [A @ x + c for A, c, x in zip(self.A, self.c, xs)]

    def params(self):
        return [torch.tensor(x, requires_grad=True) for x in self.x0]

    def loss(self, params):
        total = 0.0
        for A, c, p in zip(self.A, self.c, params):
            total = total + 0.5 * p @ (torch.from_numpy(A) @ p) + torch.from_numpy(c) @ p
        return total

    def closure(self, opt, params):
        def closure():
            opt.zero_grad()
            loss = self.loss(params)
            loss.backward()
            return loss
        return closure


LRS, WDS = (0.05, 0.02), (0.3, 0.1)


def make_adan(params, **kw):
    """Two param groups with their own lr and weight decay."""
    groups = [{"params": [p], "lr": lr, "weight_decay": wd} for p, lr, wd in zip(params, LRS, WDS)]
    return Adan(groups, betas=BETAS, eps=EPS, **kw)


@pytest.mark.parametrize("no_prox", [False, True])
@pytest.mark.parametrize("max_grad_norm", [0.0, 2.0])
def test_matches_hand_computation(no_prox, max_grad_norm):
    prob, steps = Quadratic(), 8
    params = prob.params()
    opt = make_adan(params, no_prox=no_prox, max_grad_norm=max_grad_norm)
    for _ in range(steps):
        opt.step(prob.closure(opt, params))

    expected, clipped = adan_reference(prob.x0, prob.grad, steps, LRS, WDS, no_prox=no_prox,
                                       max_grad_norm=max_grad_norm)
    if max_grad_norm:
        assert all(clipped)  # the clipping path is really exercised
    for p, x in zip(params, expected):
        np.testing.assert_allclose(p.detach().numpy(), x, rtol=0, atol=1e-12)
    assert not np.allclose(params[0].detach().numpy(), prob.x0[0])


def test_first_step_has_zero_difference():
    # At step 1, m/c1 = g and sqrt(n/c3) = |g|; with v = 0 the step is lr g / (|g| + eps).
    # A large eps separates this from g_0 = 0, which would give (1+b2) g / ((1+b2)|g| + eps).
    g = torch.tensor([0.3, -2.0, 5.0, 1e-3], dtype=torch.float64)
    x0 = torch.tensor([1.0, -1.0, 0.5, 2.0], dtype=torch.float64)
    lr, eps = 0.1, 1.0
    x = x0.clone().requires_grad_()
    opt = Adan([x], lr=lr, betas=BETAS, eps=eps)
    x.grad = g.clone()
    opt.step()
    torch.testing.assert_close(x.detach(), x0 - lr * g / (g.abs() + eps), rtol=1e-14, atol=0)
    assert torch.count_nonzero(opt.state[x]["exp_avg_diff"]) == 0


def test_state_dict_round_trip():
    prob = Quadratic(seed=1)
    kw = dict(no_prox=False, max_grad_norm=2.0)

    straight = prob.params()
    opt = make_adan(straight, **kw)
    for _ in range(6):
        opt.step(prob.closure(opt, straight))

    first = prob.params()
    opt = make_adan(first, **kw)
    for _ in range(3):
        opt.step(prob.closure(opt, first))
    buf = io.BytesIO()
    torch.save(opt.state_dict(), buf)
    buf.seek(0)
    resumed = [p.detach().clone().requires_grad_() for p in first]
    opt = make_adan(resumed, **kw)
    opt.load_state_dict(torch.load(buf))
    assert [g["step"] for g in opt.param_groups] == [3, 3]
    for _ in range(3):
        opt.step(prob.closure(opt, resumed))

    for a, b in zip(straight, resumed):
        assert torch.equal(a, b)


def test_lr_scheduler_sets_the_lr_used():
    prob, steps = Quadratic(seed=2), 6
    params = prob.params()
    opt = make_adan(params)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.25)
    for _ in range(steps):
        opt.step(prob.closure(opt, params))
        sched.step()

    factors = [0.25 ** (k // 2) for k in range(steps)]
    expected, _ = adan_reference(prob.x0, prob.grad, steps, LRS, WDS, lr_factors=factors)
    constant, _ = adan_reference(prob.x0, prob.grad, steps, LRS, WDS)
    for p, x, c in zip(params, expected, constant):
        np.testing.assert_allclose(p.detach().numpy(), x, rtol=0, atol=1e-12)
        assert not np.allclose(x, c, rtol=0, atol=1e-6)


def test_converges_on_rosenbrock():
    x = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    steps = 3000
    opt = Adan([x], lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        opt.step()
        sched.step()
    torch.testing.assert_close(x.detach(), torch.ones(2, dtype=torch.float64), rtol=0, atol=1e-6)


def test_step_returns_loss_and_skips_params_without_grad():
    prob = Quadratic(seed=3)
    params = prob.params()
    unused = torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt = Adan([{"params": params}, {"params": [unused]}], lr=0.1, weight_decay=0.5)
    closure = prob.closure(opt, params)
    loss = opt.step(closure)
    torch.testing.assert_close(loss, prob.loss([torch.from_numpy(x) for x in prob.x0]))
    assert opt.step() is None
    assert torch.equal(unused, torch.ones(2, dtype=torch.float64))
    assert unused not in opt.state


@pytest.mark.parametrize("kwargs", [
    dict(lr=-1e-3),
    dict(lr=float("nan")),
    dict(eps=-1e-8),
    dict(betas=(1.0, 0.92, 0.99)),
    dict(betas=(0.98, -0.1, 0.99)),
    dict(betas=(0.98, 0.92, 1.5)),
    dict(betas=(0.9, 0.9)),
    dict(weight_decay=-0.1),
    dict(max_grad_norm=-1.0),
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        Adan([torch.zeros(2, requires_grad=True)], **kwargs)
