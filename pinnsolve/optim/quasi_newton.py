"""Dense quasi-Newton methods: BFGS and its self-scaled variants on the full inverse Hessian.

A PINN polished with L-BFGS stalls long before its network's capacity is used: a few dozen
curvature pairs cannot describe the ill-conditioned Hessian of a physics loss. Keeping the whole
n × n inverse-Hessian approximation H costs O(n²) memory and an O(n²) rank-two update per
iteration, affordable for the networks PINNs use (n up to a few 10⁴), and the self-scaled updates
of Urbán, Stefanou & Pons ("Unveiling the optimization process of physics-informed neural
networks: how accurate and competitive can PINNs be?", J. Comput. Phys. 523, 2025) and Kiyani et
al. ("Optimizing the optimizer for physics-informed neural networks and Kolmogorov-Arnold
networks", CMAME 446, 2025) take the loss several orders of magnitude further.

All members are the Broyden class in inverse form (Urbán et al., eq. 13)::

    H⁺ = (H − H y yᵀH / yᵀHy + φ·yᵀHy·v vᵀ) / τ + s sᵀ / yᵀs,   v = s / yᵀs − H y / yᵀHy

with s the step and y the change of the gradient. φ = 1, τ = 1 is BFGS; ``ssbfgs`` keeps φ = 1
and scales by τ = min(1, 1/b) (Al-Baali's choice, eq. 11); ``ssbroyden`` chooses φ and τ from
a = b·h − 1, b = sᵀBs / yᵀs, h = yᵀHy / yᵀs (eqs. 15–23, after Al-Baali & Khalfan). Every member
satisfies the secant equation H⁺y = s. The step length comes from a strong-Wolfe line search.
"""

import math

import torch

from pinnsolve.optim.flat import assign, flatten
from pinnsolve.optim.line_search import strong_wolfe

UPDATES = ("bfgs", "ssbfgs", "ssbroyden")


def update_inverse_hessian(H: torch.Tensor | None, s: torch.Tensor, y: torch.Tensor, g: torch.Tensor,
                           alpha: float, rule: str) -> torch.Tensor | None:
    """The updated inverse Hessian after a step ``s = alpha·p`` from a point with gradient ``g``
    (``y`` the change of the gradient), in place where H is given. ``H = None`` stands for the
    identity before the first update. A pair that violates the curvature condition yᵀs > 0 leaves
    H as it is (the line search ran out of evaluations before the Wolfe conditions held)."""
    sy = float(s @ y)
    if not sy > 1e-12 * float(s.norm() * y.norm()):
        return H
    rho, first, n = 1 / sy, H is None, len(s)
    if first:
        H = torch.eye(n, dtype=s.dtype, device=s.device)
        if rule != "ssbroyden":  # the scaled identity of Nocedal & Wright, eq. 6.20
            H.mul_(sy / float(y @ y))
    Hy = H @ y
    yHy = float(y @ Hy)
    h, b = yHy * rho, -alpha * rho * float(s @ g)   # b = sᵀBs / yᵀs, since B s = −alpha·g
    phi, tau = 1.0, 1.0
    if rule == "ssbfgs" and not first:
        tau = min(1.0, 1 / b)
    elif rule == "ssbroyden":
        phi, tau = _ssbroyden_parameters(h, b, n, first)
    v = s * rho - Hy / yHy
    # H/τ + [Hy v s] diag(−1/(yᵀHy·τ), φ·yᵀHy/τ, ρ) [Hy v s]ᵀ in one pass over H (a rank-3 GEMM
    # update), not four: at n in the thousands the update is bound by memory traffic
    terms = torch.stack([Hy, v, s], dim=1)
    scales = torch.tensor([-1 / (yHy * tau), phi * yHy / tau, rho], dtype=s.dtype, device=s.device)
    return H.addmm_(terms * scales, terms.T, beta=1 / tau)


def _ssbroyden_parameters(h: float, b: float, n: int, first: bool) -> tuple[float, float]:
    """φ and τ of the self-scaled Broyden update (Urbán, Stefanou & Pons, eqs. 15–23)."""
    a = b * h - 1  # ≥ 0 by Cauchy–Schwarz; 0 when s ∥ Hy, where v = 0 and φ does not matter
    if a <= 1e-12:
        return 1.0, (1.0 if first else min(1.0, 1 / b))
    rho_minus = min(1.0, h * (1 - math.sqrt(a / (1 + a))))
    theta_minus, theta_plus = (rho_minus - 1) / a, 1 / rho_minus
    theta = max(theta_minus, min(theta_plus, (1 - b) / b))
    sigma = 1 + theta * a
    if first:
        tau = h / sigma
    else:
        scale = min(1.0, 1 / b)
        sigma_root = abs(sigma) ** (1 / (1 - n)) if n > 1 else 1.0
        tau = min(scale * sigma_root, sigma) if theta <= 0 else scale * min(sigma_root, 1 / theta)
    return (1 - theta) / sigma, tau


class DenseQuasiNewton(torch.optim.Optimizer):
    """Minimise ``closure()`` with a dense quasi-Newton ``update`` (``"bfgs"``, ``"ssbfgs"`` or
    ``"ssbroyden"``) and a strong-Wolfe line search.

    Like ``torch.optim.LBFGS``, one :meth:`step` runs up to ``max_iter`` iterations (and at most
    ``max_eval`` evaluations of the closure, which returns the loss after setting the gradients);
    ``state["n_iter"]`` counts iterations over all calls. An iteration whose line search finds no
    decrease ends the call early and leaves the parameters where they were: the caller restarts
    (:meth:`forget_curvature`) or stops. The state — the inverse Hessian, the last loss and
    gradient — is in :meth:`state_dict`, so a resumed run continues bit for bit.
    """

    def __init__(self, params, update: str = "ssbroyden", max_iter: int = 100, max_eval: int | None = None,
                 c1: float = 1e-4, c2: float = 0.9):
        if update not in UPDATES:
            raise ValueError(f"unknown update {update!r}; expected one of {', '.join(UPDATES)}")
        super().__init__(params, dict(update=update, max_iter=max_iter, max_eval=max_eval or 10 * max_iter,
                                      c1=c1, c2=c2, lr=1.0))
        if len(self.param_groups) != 1:
            raise ValueError("DenseQuasiNewton takes one parameter group")
        self._params = self.param_groups[0]["params"]

    def _gradient(self) -> torch.Tensor:
        return flatten([p.grad if p.grad is not None else torch.zeros_like(p) for p in self._params])

    def forget_curvature(self) -> None:
        """Start again from the (scaled) identity: a restart after a failed line search."""
        self.state[self._params[0]]["H"] = None

    def forget_objective(self) -> None:
        """The objective changed (new collocation points): re-evaluate, keep the curvature."""
        self.state[self._params[0]].pop("f", None)

    @torch.no_grad()
    def step(self, closure) -> float:
        closure = torch.enable_grad()(closure)
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("n_iter", 0)
        x, evals = flatten(self._params), 0
        if "f" not in state:
            state["f"], state["g"], evals = float(closure()), self._gradient(), 1
        f, g, H = state["f"], state["g"], state.get("H")

        def evaluate(t: float):
            assign(self._params, x + t * p)
            value, gradient = float(closure()), self._gradient()
            return value, float(gradient @ p), gradient

        for _ in range(group["max_iter"]):
            p = -g if H is None else -(H @ g)
            d0 = float(g @ p)
            budget = group["max_eval"] - evals
            if not (d0 < 0 and math.isfinite(d0)) or budget <= 0:
                break
            # the first step of a fresh start has no curvature to size it: a unit-length move at most
            step = 1.0 if H is not None else min(1.0, 1 / float(g.abs().sum()))
            trial, used = strong_wolfe(evaluate, f, d0, step, group["c1"], group["c2"], min(25, budget))
            evals += used
            if trial is None:
                assign(self._params, x)
                break
            s, gradient = trial.t * p, trial.extra
            H = update_inverse_hessian(H, s, gradient - g, g, trial.t, group["update"])
            x, f, g = x + s, trial.f, gradient
            assign(self._params, x)
            state["n_iter"] += 1
        state.update(f=f, g=g, H=H)
        return f
