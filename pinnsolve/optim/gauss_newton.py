"""Gauss–Newton methods on the residual vector: Levenberg–Marquardt and energy natural gradient.

A PINN loss is a sum of squares, L(θ) = ‖r(θ)‖² (each term's residuals scaled by √(w/N), w its
weight and N its number of residual values), so its Hessian is 2·JᵀJ plus a part that vanishes as
the residuals do. Both methods solve with the Gramian G = JᵀJ (J = ∂r/∂θ) instead of a
quasi-Newton guess:

- ``lm``, Levenberg–Marquardt: (G + λI)·δ = −Jᵀr, the step accepted when the loss falls, λ adapted
  from the ratio of actual to predicted decrease (Nielsen's rule: Madsen, Nielsen & Tingleff,
  "Methods for non-linear least squares problems", 2004, eq. 2.21).
- ``natural_gradient``, energy natural gradient descent (Müller & Zeinhofer, "Achieving high
  accuracy with PINNs via energy natural gradient descent", ICML 2023): δ = −(G + εI)⁻¹·Jᵀr, the
  Gauss–Newton direction for a quadratic energy, scaled by η = 2⁻ᵏ, k = 0, 1, …, the first η
  whose successor no longer lowers the loss (their grid line search, stopped at its first minimum).

J is never stored whole: ``blocks()`` yields the residual vector in pieces of a few dozen values,
each piece's Jacobian rows are computed with one batched backward pass, and every thousand or so
rows are folded into G and Jᵀr, so memory is the n × n Gramian plus about 1,024 rows of J.
"""

import math
from collections.abc import Callable, Iterable

import torch

from pinnsolve.optim.flat import assign, flatten

METHODS = ("lm", "natural_gradient")


def gramian(blocks: Iterable[torch.Tensor], params: list[torch.Tensor],
            rows_per_product: int = 1024) -> tuple[float, torch.Tensor, torch.Tensor]:
    """‖r‖², G = JᵀJ and Jᵀr, for the residual vector r given in ``blocks`` (1-D tensors that
    depend on ``params``). Rows of J are gathered up to ``rows_per_product`` before they are folded
    into G: one large product runs far faster than many thin ones."""
    n = sum(p.numel() for p in params)
    like = params[0]
    G = torch.zeros(n, n, dtype=like.dtype, device=like.device)
    Jr = torch.zeros(n, dtype=like.dtype, device=like.device)
    squares, rows, values = 0.0, [], []

    def fold():
        J, r = torch.cat(rows), torch.cat(values)
        G.addmm_(J.T, J)
        Jr.addmv_(J.T, r)
        rows.clear()
        values.clear()

    for block in blocks:
        squares += float(block.detach().square().sum())
        if not block.requires_grad:  # nothing trainable acts on it: its rows of J are zero
            continue
        rows.append(jacobian_rows(block, params))
        values.append(block.detach())
        if sum(len(r) for r in rows) >= rows_per_product:
            fold()
    if rows:
        fold()
    return squares, G, Jr


def jacobian_rows(vector: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    """∂vector/∂params as a (len(vector), n) matrix: a backward pass for each row, batched."""
    eye = torch.eye(len(vector), dtype=vector.dtype, device=vector.device)
    grads = torch.autograd.grad(vector, params, grad_outputs=eye, is_grads_batched=True, allow_unused=True,
                                retain_graph=False)
    return torch.cat([(g if g is not None else torch.zeros(len(vector), *p.shape, dtype=p.dtype, device=p.device))
                      .reshape(len(vector), -1) for g, p in zip(grads, params)], dim=1)


def damped_solve(G: torch.Tensor, rhs: torch.Tensor, damping: float) -> torch.Tensor | None:
    """(G + damping·I)⁻¹ rhs by Cholesky; None when the matrix is not numerically positive definite."""
    factor, info = torch.linalg.cholesky_ex(G + damping * torch.eye(len(G), dtype=G.dtype, device=G.device))
    if info != 0:
        return None
    return torch.cholesky_solve(rhs.unsqueeze(1), factor).squeeze(1)


class GaussNewton(torch.optim.Optimizer):
    """Minimise ‖r‖² with ``method`` ``"lm"`` or ``"natural_gradient"``.

    ``blocks()`` yields r in pieces, computed at the current parameters; ``loss()`` returns ‖r‖²
    alone (no Jacobian). ``damping`` is λ's start for ``lm`` and ε for ``natural_gradient``, both
    relative to the mean of G's diagonal. One :meth:`step` runs up to ``max_iter`` iterations; an
    iteration that cannot lower the loss (λ grown past any use, or no η that decreases it) ends the
    call early with the parameters unchanged. ``state["n_iter"]`` counts iterations over all calls.
    """

    def __init__(self, params, blocks: Callable[[], Iterable[torch.Tensor]], loss: Callable[[], float],
                 method: str = "lm", damping: float | None = None, max_iter: int = 100):
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
        if damping is None:
            damping = 1e-3 if method == "lm" else 1e-10
        super().__init__(params, dict(method=method, damping=damping, max_iter=max_iter, lr=1.0))
        self._params = self.param_groups[0]["params"]
        self.blocks, self.loss = blocks, loss

    def forget_curvature(self) -> None:
        """Start λ afresh (a restart after a stall)."""
        self.state[self._params[0]].pop("lambda", None)

    def forget_objective(self) -> None:
        """New collocation points: nothing to forget, every iteration computes G anew."""

    def step(self, closure=None) -> float:
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("n_iter", 0)
        f = math.nan
        for _ in range(group["max_iter"]):
            with torch.enable_grad():
                f, G, Jr = gramian(self.blocks(), self._params)
            scale = float(G.diagonal().mean()) or 1.0
            x = flatten(self._params)
            accepted = (self._levenberg_marquardt if group["method"] == "lm" else self._natural_gradient)(
                x, f, G, Jr, scale, group, state)
            if accepted is None:
                assign(self._params, x)
                break
            f = accepted
            state["n_iter"] += 1
        return f

    def _levenberg_marquardt(self, x, f, G, Jr, scale, group, state) -> float | None:
        lam = state.get("lambda", group["damping"] * scale)
        nu = 2.0
        while lam < 1e16 * scale:
            delta = damped_solve(G, -Jr, lam)
            if delta is not None:
                predicted = -float(2 * (delta @ Jr) + delta @ (G @ delta))  # ‖r‖² − ‖r + Jδ‖²
                assign(self._params, x + delta)
                trial = self.loss()
                ratio = (f - trial) / predicted if predicted > 0 else -1.0
                if ratio > 0 and math.isfinite(trial):
                    state["lambda"] = lam * max(1 / 3, 1 - (2 * ratio - 1) ** 3)
                    return trial
            lam, nu = lam * nu, nu * 2
        state["lambda"] = group["damping"] * scale
        return None

    def _natural_gradient(self, x, f, G, Jr, scale, group, state) -> float | None:
        epsilon, delta = group["damping"] * scale, None
        while delta is None and epsilon < scale:  # rounding can make a singular G indefinite
            delta, epsilon = damped_solve(G, -Jr, epsilon), epsilon * 100
        if delta is None:
            return None
        best, best_eta, eta = f, 0.0, 1.0
        while eta > 1e-12:
            assign(self._params, x + eta * delta)
            trial = self.loss()
            if math.isfinite(trial) and trial < best:
                best, best_eta = trial, eta
            elif best_eta > 0:  # past the first minimum along the grid
                break
            eta /= 2
        if best_eta == 0:
            return None
        assign(self._params, x + best_eta * delta)
        return best
