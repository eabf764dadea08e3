"""Loss weighting: how much each named loss term counts in the total ``Σ λ_i L_i``.

A strategy is any callable ``weighting(losses, step, ctx) -> {name: λ}``. ``losses`` maps each term
name to its (scalar tensor) loss at this step; ``ctx`` gives lazy access to the per-term parameter
gradients (``ctx.gradients(name)``), so strategies that need no gradients pay nothing for them.
Weights are plain floats: they are not differentiated through.

The strategies here also have ``state_dict()`` / ``load_state_dict(state)``: plain Python data
(dicts, floats, ints) from which a fresh strategy built with the same options resumes exactly
where the saved one stopped, random draws included.
"""

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import numpy as np
import torch

from pinnsolve.distributed import Group
from pinnsolve.errors import check_choice


class GradientContext:
    """Per-term gradients with respect to the trainable parameters, computed only when asked for."""

    def __init__(self, losses: Mapping[str, torch.Tensor], parameters: list[torch.Tensor], group: Group | None = None):
        self._losses = losses
        self._parameters = parameters
        self._group = group or Group()  # with several processes, each holds a share of every gradient
        self._cache: dict[str, list[torch.Tensor]] = {}

    def gradients(self, name: str) -> list[torch.Tensor]:
        if name not in self._cache:
            grads = torch.autograd.grad(self._losses[name], self._parameters, retain_graph=True, allow_unused=True)
            self._cache[name] = self._group.sum_gradients(list(grads), self._parameters)
        return self._cache[name]


class Weighting(Protocol):
    def __call__(self, losses: Mapping[str, torch.Tensor], step: int, ctx: GradientContext) -> dict[str, float]: ...


class Fixed:
    """Constant weights given per term name; terms not named weigh 1."""

    def __init__(self, weights: Mapping[str, float] | None = None):
        self.weights = dict(weights or {})
        for name, value in self.weights.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"weight of {name!r} must be a non-negative number, got {value!r}")

    def check_terms(self, names: list[str]) -> None:
        """Every weight must name a term of the problem (a SpecError at ``weighting.weights`` otherwise)."""
        for name in self.weights:
            check_choice(name, "weighting.weights", names)

    def __call__(self, losses, step, ctx) -> dict[str, float]:
        return {name: float(self.weights.get(name, 1.0)) for name in losses}

    def state_dict(self) -> dict[str, Any]:
        return {}  # the weights are options, not state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state:
            raise ValueError(f"Fixed has no state; got keys {', '.join(state)}")


_TINY = np.finfo(np.float64).tiny  # smallest normal float64, about 2.2e-308
_HUGE = np.finfo(np.float64).max


class ReLoBRaLo:
    """Relative Loss Balancing with Random Lookback: R. Bischof and M. Kraus, "Multi-Objective Loss
    Balancing for Physics-Informed Deep Learning", arXiv:2110.09813 (2021, rev. 2022).

    With m terms, L_j(t) the loss of term j at the t-th call (t = 0 the first) and T the temperature
    (equations numbered here, after the paper's section on ReLoBRaLo)::

        bal_i(t, t') = m · exp(L_i(t) / (T L_i(t'))) / Σ_j exp(L_j(t) / (T L_j(t')))          (1)
        λ_i(t) = α [ρ λ_i(t−1) + (1 − ρ) bal_i(t, 0)] + (1 − α) bal_i(t, t−1),  λ_i(0) = 1     (2)

    ρ ~ Bernoulli(E[ρ]) is drawn once per call from t = 1 on, shared by all terms (``uniform < E[ρ]``
    from this strategy's own ``numpy.random.default_rng(seed)``, so runs are reproducible and leave
    torch's RNG alone). ρ = 1 keeps the history λ(t−1); ρ = 0 "looks back" to the first losses L(0).
    Every bal sums to m, so the weights do too. Weights are detached floats.

    Defaults: ``alpha`` 0.999, ``temperature`` 0.1, ``rho`` (E[ρ]) 0.999, the setting recommended
    for ReLoBRaLo (α and T are also the defaults of the authors' released TensorFlow code, which
    uses E[ρ] = 0.99). Why: α close to 1 makes the weights a slow exponential average, since the
    step-to-step term bal(t, t−1) is noisy; T = 0.1 makes the softmax sharp enough to matter (loss
    ratios 1.0 and 0.9 differ by 1 once divided by T: a factor e ≈ 2.7 in the balance weights);
    E[ρ] close to 1 makes look-backs to L(0) rare (about one step in a thousand) yet keeps the
    weights anchored to the progress made since the start.

    Numerics: (1) is evaluated max-subtracted (every exponent ≤ 0), so loss ratios of any size give
    finite weights. A past loss of exactly zero would divide by zero: the denominator T·L_j(t') is
    floored at the smallest normal float64 (≈ 2.2e-308) and the ratio clipped to the largest float,
    so a term that rose from zero takes all of the balance term, and one that stayed at zero has
    ratio 0.
    """

    def __init__(self, alpha: float = 0.999, temperature: float = 0.1, rho: float = 0.999, seed: int = 0):
        self.alpha, self.rho = _fraction("alpha", alpha), _fraction("rho", rho)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.temperature = float(temperature)
        self._rng = np.random.default_rng(seed)
        # by term name: λ(t−1), L(0), L(t−1); None before the first call
        self._weights: dict[str, float] | None = None
        self._first: dict[str, float] | None = None
        self._last: dict[str, float] | None = None

    def __call__(self, losses, step, ctx) -> dict[str, float]:
        names = list(losses)
        now = np.array([float(losses[name].detach()) for name in names])
        if self._first is None:
            self._first = dict(zip(names, now.tolist()))
            weights = np.ones(len(names))
        else:
            if set(names) != set(self._first):
                raise ValueError(f"ReLoBRaLo: terms changed from {', '.join(self._first)} to {', '.join(names)}")
            rho = float(self._rng.random() < self.rho)
            first, last, previous = (np.array([d[name] for name in names]) for d in (self._first, self._last, self._weights))
            weights = (self.alpha * (rho * previous + (1 - rho) * self._balance(now, first))
                       + (1 - self.alpha) * self._balance(now, last))
        self._weights = dict(zip(names, weights.tolist()))
        self._last = dict(zip(names, now.tolist()))
        return dict(self._weights)

    def _balance(self, now: np.ndarray, then: np.ndarray) -> np.ndarray:
        """Eq. (1): bal(t, t') from the losses at t (``now``) and t' (``then``)."""
        with np.errstate(over="ignore"):  # an overflowing ratio becomes inf, then the largest float
            ratio = np.minimum(now / np.maximum(self.temperature * then, _TINY), _HUGE)
        e = np.exp(ratio - ratio.max())
        return len(now) * e / e.sum()

    def state_dict(self) -> dict[str, Any]:
        return {"weights": copy.copy(self._weights), "first": copy.copy(self._first), "last": copy.copy(self._last),
                "rng": copy.deepcopy(self._rng.bit_generator.state)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._weights, self._first, self._last = (None if state[key] is None else dict(state[key])
                                                  for key in ("weights", "first", "last"))
        self._rng.bit_generator.state = copy.deepcopy(state["rng"])


class GradNormAnnealing:
    """Gradient-statistics weights ("learning rate annealing"), updated every ``every`` steps.

    ``mode="max"`` (default): S. Wang, Y. Teng and P. Perdikaris, "Understanding and mitigating
    gradient flow pathologies in physics-informed neural networks", SIAM J. Sci. Comput. 43(5), 2021,
    Algorithm 1, as the authors' released code computes it (GradientPathologiesPINNs,
    ``Helmholtz/Helmholtz2D_model_tf.py``). For each term i that is not a residual (PDE) term, with
    λ_i its current weight::

        λ̂_i = max_θ |∇_θ L_pde| / mean_θ |∇_θ (λ_i L_i)| = max_θ |∇_θ L_pde| / (λ_i mean_θ |∇_θ L_i|)   (3)

    max and mean over all gradient entries of all trainable parameters (weights and biases alike;
    the released code uses the weight matrices only and averages per-layer means, a detail not
    followed here). The denominator is the gradient of the WEIGHTED term, as in the released code,
    where the term's loss already carries its weight. The residual terms are ``residual_terms``
    (the spec passes the problem's residual names); with several, the numerator is the max over
    all of their gradients. Residual terms weigh 1. (Only this mode uses ``residual_terms``.)

    ``mode="l2"``: after S. Wang, S. Sankaran, H. Wang and P. Perdikaris, "An Expert's Guide to
    Training Physics-informed Neural Networks", arXiv:2308.08468 (2023), with the same weighted
    reading: every term, residuals included, gets::

        λ̂_i = Σ_j λ_j ‖∇_θ L_j‖₂ / (λ_i ‖∇_θ L_i‖₂)                                             (4)

    all from the weights before the update. (The authors' jaxpi code uses the unweighted norms
    ‖∇_θ L_j‖₂ and their mean rather than their sum; (4) departs from it, to match mode "max".)

    ``mode="mean"``: the data-anchored rule pinnsolve was specified with. The ``anchors`` (the
    data terms, say) weigh 1; ONE weight λ_pde scales every residual term, from the UNWEIGHTED
    gradients of the anchors' summed loss and of the residuals' summed loss::

        λ̂_pde = mean_θ |∇_θ Σ_a L_a| / mean_θ |∇_θ Σ_r L_r|,   total = Σ_a L_a + λ_pde Σ_r L_r + Σ_others L_o   (6)

    Where "max" lifts the conditions up to the PDE's steepest gradient, "mean" brings the PDE's
    average gradient to the data's: the measurements set the scale, which suits inverse problems,
    whose data term is the one that pins the solution down. Terms neither anchors nor residuals
    (conditions, in a problem that also has data) keep weight 1. ``anchors`` defaults to every term
    that is not a residual.

    All modes then take the moving average with ``alpha`` on the NEW estimate::

        λ_i ← (1 − α) λ_i + α λ̂_i,    λ_i = 1 initially                                        (5)

    ``alpha`` defaults to 0.1 in modes "max" and "l2", so 0.9 sits on the OLD value,
    λ_i ← 0.9 λ_i + 0.1 λ̂_i, as in the released code (Algorithm 1 as printed reads α = 0.9 on the
    new estimate instead), and to 0.9 in mode "mean", as that rule was specified (its estimate (6)
    does not depend on λ, so there is no feedback to damp).

    Why not Algorithm 1 read literally (unweighted denominator, α = 0.9)? It runs away. Measured on
    Helmholtz (Δu + k²u = q on (−1, 1)², u = sin(πx) sin(4πy), Adam 1e-3, 128 points per term): as
    the boundary loss shrinks so does its gradient, the boundary weight climbs to 1e7, the boundary
    term swamps the residual, the PDE loss never decreases, and the relative error is still 1.0
    after 10,000 steps (fixed weights: 1.7, then improving). With the weighted denominator (3) the
    update is a negative feedback: a larger λ_i lowers its own estimate, and with constant
    gradients the weight settles at the fixed point λ_i = sqrt(max|∇L_pde| / mean|∇L_i|) (in mode
    "l2": λ_i = Σ_j sqrt(‖∇L_j‖) / sqrt(‖∇L_i‖)). With both changes the Helmholtz boundary weight
    settles around 50–80, as in the paper's figures, and training proceeds.

    Updates happen at steps 0, every, 2·every, ... (Algorithm 1 updates every step, its released
    code every 10, hence ``every=10``); the weights are held in between, and only update steps ask
    ``ctx`` for gradients. A ratio that is zero, undefined or infinite (a term whose
    gradient vanishes, e.g. one independent of the parameters) keeps that term's previous weight.
    """

    MODES = ("max", "l2", "mean")
    DEFAULT_ALPHA = {"max": 0.1, "l2": 0.1, "mean": 0.9}

    def __init__(self, alpha: float | None = None, every: int = 10, mode: str = "max",
                 residual_terms: Iterable[str] = ("pde",), anchors: Iterable[str] | None = None):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {', '.join(self.MODES)}, got {mode!r}")
        self.alpha = _fraction("alpha", self.DEFAULT_ALPHA[mode] if alpha is None else alpha)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.every, self.mode = every, mode
        self.residual_terms = tuple(residual_terms)
        if not self.residual_terms:
            raise ValueError("residual_terms: name at least one residual term")
        if anchors is not None and mode != "mean":
            raise ValueError("anchors: only mode 'mean' anchors on terms")
        self.anchors = None if anchors is None else tuple(anchors)
        if self.anchors is not None and (not self.anchors or set(self.anchors) & set(self.residual_terms)):
            raise ValueError("anchors: name at least one term, none of them a residual term")
        self._weights: dict[str, float] = {}

    def check_terms(self, names: list[str]) -> None:
        """Every residual term and anchor must name a term of the problem (a ValueError otherwise)."""
        for kind, given in (("residual term", self.residual_terms), ("anchor", self.anchors or ())):
            for name in given:
                if name not in names:
                    raise ValueError(f"{kind} {name!r} is not a loss term; terms are {', '.join(names)}")

    def __call__(self, losses, step, ctx) -> dict[str, float]:
        for name in losses:
            self._weights.setdefault(name, 1.0)
        if step % self.every == 0:
            self._update(list(losses), ctx)
        return {name: self._weights[name] for name in losses}

    def _update(self, names: list[str], ctx: GradientContext) -> None:
        weight = self._weights  # the weights before this update: every ratio below uses them
        if self.mode != "l2":
            missing = [name for name in self.residual_terms if name not in names]
            if missing:
                raise ValueError(f"residual term {missing[0]!r} is not a loss term; terms are {', '.join(names)}: "
                                 "pass residual_terms naming the problem's residuals")
        if self.mode == "mean":
            anchors = self.anchors or [name for name in names if name not in self.residual_terms]
            if not anchors:
                return
            # the gradient of a sum of losses is the sum of their gradients (eq. 6)
            top = float(_flat([sum(g) for g in zip(*(ctx.gradients(a) for a in anchors))]).abs().mean())
            bottom = float(_flat([sum(g) for g in zip(*(ctx.gradients(r) for r in self.residual_terms))]).abs().mean())
            ratios = {name: (top, bottom) for name in self.residual_terms}
        elif self.mode == "max":
            others = [name for name in names if name not in self.residual_terms]
            if not others:
                return
            top = max(float(_flat(ctx.gradients(name)).abs().max()) for name in self.residual_terms)
            # mean |∇(λ_i L_i)| = λ_i mean |∇L_i|: the weighted term's gradient (eq. 3)
            ratios = {name: (top, weight[name] * float(_flat(ctx.gradients(name)).abs().mean())) for name in others}
        else:
            # ‖∇(λ_j L_j)‖ = λ_j ‖∇L_j‖ (eq. 4)
            norms = {name: weight[name] * float(torch.linalg.vector_norm(_flat(ctx.gradients(name)))) for name in names}
            total = sum(norms.values())
            ratios = {name: (total, norm) for name, norm in norms.items()}
        for name, (numerator, denominator) in ratios.items():
            estimate = numerator / denominator if denominator > 0 else np.inf
            if 0 < estimate < np.inf:
                self._weights[name] = (1 - self.alpha) * self._weights[name] + self.alpha * estimate

    def state_dict(self) -> dict[str, Any]:
        return {"weights": dict(self._weights)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._weights = dict(state["weights"])


def _fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    return float(value)


def _flat(gradients: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([g.reshape(-1) for g in gradients])


WEIGHTINGS: dict[str, Callable[..., Weighting]] = {"fixed": Fixed, "relobralo": ReLoBRaLo, "gradnorm": GradNormAnnealing}
