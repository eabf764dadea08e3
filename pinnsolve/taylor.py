"""Forward Taylor mode: a network's outputs with their first and second derivatives in one pass.

A :class:`Jet` carries, at every point, a quantity's value, its first derivatives along the
directions a :class:`Plan` lists and its second derivatives for the pairs the plan lists. Every
layer maps a jet to a jet by the chain rule to second order (Griewank & Walther, "Evaluating
Derivatives", 2nd ed. 2008, ch. 13): a linear map acts on every part alike, an elementwise function
g gives

    value g(v),   first g'(v)·dᵢ,   second g'(v)·dᵢⱼ + g''(v)·dᵢ·dⱼ,

so one forward pass gives exactly the derivatives the loss reads, and one ordinary backward pass
through it the gradient with respect to the parameters. Nested autograd instead differentiates the
graph of each derivative again, order by order, and its backward pass walks all those graphs (the
saving grows with the number of inputs; Li et al. 2023, "A computational framework for neural
network-based variational Monte Carlo with Forward Laplacian"; Dangel et al. 2025, "Collapsing
Taylor mode automatic differentiation").

Only the modules pinnsolve builds are propagated (:func:`supports` says whether a network is made
of them, by exact type); for anything else, and for derivatives of third order and up, the caller
falls back to nested autograd.
"""

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from pinnsolve.derivatives import Engine, derivative_key
from pinnsolve.nets.features import FourierFeatures, PeriodicEmbedding
from pinnsolve.nets.layers import InputScaling, Sine
from pinnsolve.nets.mlp import MLP
from pinnsolve.nets.resnet import AdaResNet, ResidualBlock, ResNet
from pinnsolve.nets.transform import OutputTransform


@dataclass(frozen=True)
class Plan:
    """Which derivatives a jet carries: ``first`` the input directions (variable indices), and
    ``seconds`` its second-order parts, each a sum of second derivatives given as pairs of positions
    in ``first`` (a ≤ b): one pair for ∂²/∂xᵢ∂xⱼ, several diagonal pairs for a Laplacian. A sum is
    carried as one part, not as its terms (the Forward Laplacian of Li et al.; "collapsed" Taylor
    mode in Dangel et al.): in d dimensions d + 2 parts instead of 2d + 1. A second derivative needs
    the first derivatives along its directions, so those are carried even when nothing reads them."""

    first: tuple[int, ...] = ()
    seconds: tuple[tuple[tuple[int, int], ...], ...] = ()

    @classmethod
    def of(cls, derivatives: Iterable[tuple]) -> "Plan | None":
        """The plan for ``derivatives``: each a derivative as a sorted tuple of variable indices
        (``()`` the value, ``(0, 0)`` ∂²/∂x₀²) or a sum of second derivatives as a tuple of those;
        None when one is of third order or up."""
        wanted = set(derivatives)
        terms = {by for d in wanted for by in (d if d and isinstance(d[0], tuple) else (d,))}
        if any(len(by) > 2 for by in terms):
            return None
        first = tuple(sorted({i for by in terms for i in by}))
        seconds = []
        for d in sorted(wanted, key=repr):
            parts = d if d and isinstance(d[0], tuple) else (d,)
            if len(parts[0]) == 2:
                seconds.append(tuple((first.index(i), first.index(j)) for i, j in parts))
        return cls(first, tuple(seconds))

    def derivatives(self) -> list[tuple]:
        """Every derivative the plan carries, in the order of a jet's parts (value, first, seconds),
        in the form :meth:`of` takes."""
        seconds = [tuple((self.first[a], self.first[b]) for a, b in pairs) for pairs in self.seconds]
        return [()] + [(i,) for i in self.first] + [s[0] if len(s) == 1 else s for s in seconds]


class Jet:
    """A tensor of shape (..., k) with its derivatives under ``plan``: ``first[m]`` along direction
    ``plan.first[m]``, ``second[p]`` the sum ``plan.seconds[p]``, each broadcastable to the value's
    shape; None stands for a derivative that is identically zero."""

    __slots__ = ("value", "first", "second", "plan")

    def __init__(self, value: torch.Tensor, first: list, second: list, plan: Plan):
        self.value, self.first, self.second, self.plan = value, first, second, plan

    @classmethod
    def inputs(cls, points: torch.Tensor, plan: Plan) -> "Jet":
        """The coordinates themselves: derivative eᵢ along direction i, no second derivative."""
        unit = torch.eye(points.shape[-1], dtype=points.dtype, device=points.device)
        return cls(points, [unit[i] for i in plan.first], [None] * len(plan.seconds), plan)

    @classmethod
    def constant(cls, value: torch.Tensor, plan: Plan) -> "Jet":
        return cls(value, [None] * len(plan.first), [None] * len(plan.seconds), plan)

    def map(self, linear, shift=None) -> "Jet":
        """``linear`` applied to every part (it must be linear), ``shift`` then added to the value."""
        value = linear(self.value)
        return Jet(value if shift is None else value + shift, [_apply(linear, d) for d in self.first],
                   [_apply(linear, d) for d in self.second], self.plan)

    def chain(self, g0: torch.Tensor, g1: torch.Tensor, g2: torch.Tensor | None) -> "Jet":
        """g applied elementwise, given g(v), g'(v) and g''(v) at the value v (g2 None: g'' = 0)."""
        first = [None if d is None else g1 * d for d in self.first]
        second = []
        for pairs, d in zip(self.plan.seconds, self.second):
            products = _total([self.first[a] * self.first[b] if a != b else self.first[a].square()
                               for a, b in pairs if self.first[a] is not None and self.first[b] is not None])
            second.append(_total([_times(d, g1), None if g2 is None else _times(products, g2)]))
        return Jet(g0, first, second, self.plan)

    def column(self, index) -> "Jet":
        """The part along the last axis at ``index`` (an int drops the axis, a tensor of indices keeps it)."""
        if isinstance(index, int):
            return self.map(lambda t: t[..., index])
        return self.map(lambda t: t.index_select(-1, index))

    # arithmetic, for output transforms: the operands are jets, tensors or numbers constant in the inputs
    def __add__(self, other):
        if isinstance(other, Jet):
            return Jet(self.value + other.value, _sum(self.first, other.first), _sum(self.second, other.second),
                       self.plan)
        return Jet(self.value + other, self.first, self.second, self.plan)

    __radd__ = __add__

    def __neg__(self):
        return self.map(torch.neg)

    def __pos__(self):
        return self

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if not isinstance(other, Jet):
            return self.map(lambda t: t * other)
        u, v = self, other
        first = [_total([_times(du, v.value), _times(dv, u.value)]) for du, dv in zip(u.first, v.first)]
        second = []
        for pairs, du, dv in zip(self.plan.seconds, u.second, v.second):
            parts = [_times(du, v.value), _times(dv, u.value)]
            for a, b in pairs:
                parts += [_times(u.first[a], v.first[b]), _times(u.first[b], v.first[a])]
            second.append(_total(parts))
        return Jet(u.value * v.value, first, second, self.plan)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self * (other.reciprocal() if isinstance(other, Jet) else 1 / other)

    def __rtruediv__(self, other):
        return self.reciprocal() * other

    def __pow__(self, exponent):
        if isinstance(exponent, Jet):
            return (exponent * self.log()).exp()
        c = exponent
        if isinstance(c, (int, float)) and c in (0, 1, 2):  # exact, where c(c-1)v^(c-2) would be 0·∞ at v = 0
            return Jet.constant(torch.ones_like(self.value), self.plan) if c == 0 else self if c == 1 else self * self
        v = self.value
        return self.chain(v ** c, c * v ** (c - 1), c * (c - 1) * v ** (c - 2))

    def __rpow__(self, base):
        return (self * torch.log(torch.as_tensor(base, dtype=self.value.dtype))).exp()

    def reciprocal(self):
        r = 1 / self.value
        return self.chain(r, -r * r, 2 * r * r * r)

    # the expression language's functions
    def sin(self):
        return self.chain(*_sin(self.value))

    def cos(self):
        c = torch.cos(self.value)
        return self.chain(c, -torch.sin(self.value), -c)

    def tan(self):
        t = torch.tan(self.value)
        s = 1 + t * t
        return self.chain(t, s, 2 * t * s)

    def exp(self):
        e = torch.exp(self.value)
        return self.chain(e, e, e)

    def log(self):
        r = 1 / self.value
        return self.chain(torch.log(self.value), r, -r * r)

    def sqrt(self):
        s = torch.sqrt(self.value)
        return self.chain(s, 0.5 / s, -0.25 / (s * self.value))

    def tanh(self):
        return self.chain(*_tanh(self.value))

    def abs(self):
        return self.chain(torch.abs(self.value), torch.sign(self.value), None)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """``torch.sin(jet)`` and the like, as the expression language calls them."""
        method = _FUNCTIONS.get(func)
        if method is None or kwargs or len(args) != 1:
            return NotImplemented
        return method(args[0])


_FUNCTIONS = {torch.sin: Jet.sin, torch.cos: Jet.cos, torch.tan: Jet.tan, torch.exp: Jet.exp, torch.log: Jet.log,
              torch.sqrt: Jet.sqrt, torch.tanh: Jet.tanh, torch.abs: Jet.abs}


def _apply(linear, d):
    return None if d is None else linear(d)


def _times(d, factor):
    return None if d is None else d * factor


def _total(parts):
    present = [p for p in parts if p is not None]
    return sum(present[1:], present[0]) if present else None


def _sum(a: list, b: list) -> list:
    return [_total([x, y]) for x, y in zip(a, b)]


def _cat(jets: list[Jet]) -> Jet:
    """Jets side by side along the last axis; a zero part becomes explicit zeros only when another
    jet's part of the same derivative is not zero."""
    def join(parts):
        if all(p is None for p in parts):
            return None
        shape = torch.broadcast_shapes(*(p.shape[:-1] for p in parts if p is not None))
        return torch.cat([p.expand(*shape, p.shape[-1]) if p is not None else j.value.new_zeros(*shape, j.value.shape[-1])
                          for p, j in zip(parts, jets)], dim=-1)

    plan = jets[0].plan
    return Jet(torch.cat([j.value for j in jets], dim=-1),
               [join([j.first[m] for j in jets]) for m in range(len(plan.first))],
               [join([j.second[p] for j in jets]) for p in range(len(plan.seconds))], plan)


# g(v), g'(v), g''(v) of the activations (and of the expression language's tanh and sin)
def _tanh(v):
    t = torch.tanh(v)
    s = 1 - t * t
    return t, s, -2 * t * s


def _sin(v):
    s = torch.sin(v)
    return s, torch.cos(v), -s


def _gelu(v):  # x Φ(x), the exact (erf) form nn.GELU uses by default
    cdf = 0.5 * (1 + torch.erf(v * (1 / math.sqrt(2))))
    pdf = torch.exp(-0.5 * v * v) * (1 / math.sqrt(2 * math.pi))
    return v * cdf, cdf + v * pdf, pdf * (2 - v * v)


def _silu(v):  # x σ(x)
    s = torch.sigmoid(v)
    return v * s, s * (1 + v * (1 - s)), s * (1 - s) * (2 + v * (1 - 2 * s))


ACTIVATIONS = {nn.Tanh: _tanh, Sine: _sin, nn.SiLU: _silu, nn.GELU: _gelu}


def _sequence(module, jet):
    for layer in module:
        jet = propagate(layer, jet)
    return jet


def _linear(module: nn.Linear, jet: Jet) -> Jet:
    linear = lambda t: F.linear(t, module.weight)  # noqa: E731
    return Jet(F.linear(jet.value, module.weight, module.bias), [_apply(linear, d) for d in jet.first],
               [_apply(linear, d) for d in jet.second], jet.plan)


def _scaling(module: InputScaling, jet: Jet) -> Jet:
    return jet.map(lambda t: t / module.half_width, -module.centre / module.half_width)


def _periodic(module: PeriodicEmbedding, jet: Jet) -> Jet:
    # wrapping onto [-1, 1) shifts by a constant: the derivatives pass through unchanged
    source = jet.column(module.source)
    wrapped = Jet(torch.remainder(source.value + 1, 2) - 1, source.first, source.second, jet.plan)
    angles = wrapped * (math.pi * module.multiples.to(jet.value.dtype))
    return _cat([jet.column(module.passed), angles.cos(), angles.sin()])


def _fourier(module: FourierFeatures, jet: Jet) -> Jet:
    angles = jet.map(lambda t: 2 * math.pi * t @ module.frequencies.T)
    return _cat([angles.cos(), angles.sin()])


def _block(module: ResidualBlock, jet: Jet) -> Jet:
    skip = jet if module.skip is None else jet * module.skip
    return propagate(module.activation, propagate(module.residual, jet) + skip)


def _transform(module: OutputTransform, jet: Jet) -> Jet:
    raw = propagate(module.network, jet)
    env = {v: jet.column(i) for i, v in enumerate(module.variables)}
    env |= {f: raw.column(j) for j, f in enumerate(module.fields)} | dict(module.params)
    columns = []
    for j, name in enumerate(module.fields):
        column = module.transforms[name](env) if name in module.transforms else raw.column(j)
        if not isinstance(column, Jet):  # constant in the inputs
            column = Jet.constant(torch.as_tensor(column, dtype=raw.value.dtype, device=raw.value.device)
                                  .expand(raw.value.shape[:-1]), jet.plan)
        columns.append(column.map(lambda t: t.unsqueeze(-1)))
    return _cat(columns)


def _activation(module, jet):
    return jet.chain(*ACTIVATIONS[type(module)](jet.value))


HANDLERS = {nn.Sequential: _sequence, MLP: lambda m, j: propagate(m.layers, j),
            ResNet: lambda m, j: propagate(m.layers, j), AdaResNet: lambda m, j: propagate(m.layers, j),
            ResidualBlock: _block, nn.Linear: _linear, InputScaling: _scaling, PeriodicEmbedding: _periodic,
            FourierFeatures: _fourier, OutputTransform: _transform} | {kind: _activation for kind in ACTIVATIONS}


def supports(network: nn.Module) -> bool:
    """Whether :func:`propagate` knows every module of ``network`` (by exact type: a subclass may
    compute something else), GELU in its exact form only."""
    return all(type(m) in HANDLERS and not (isinstance(m, nn.GELU) and m.approximate != "none")
               for m in network.modules())


def propagate(module: nn.Module, jet: Jet) -> Jet:
    return HANDLERS[type(module)](module, jet)


def derivatives(network: nn.Module, plan: Plan, points: torch.Tensor) -> Mapping[tuple[int, ...], torch.Tensor]:
    """The network's outputs (n, fields) at ``points`` (n, d) and their derivatives under ``plan``,
    keyed like :meth:`Plan.derivatives`; zero derivatives come back as explicit zeros."""
    out = propagate(network, Jet.inputs(points, plan))
    parts = [out.value] + out.first + out.second
    return {by: torch.zeros_like(out.value) if part is None else part.expand_as(out.value)
            for by, part in zip(plan.derivatives(), parts)}


def forward_engine(network: nn.Module, reads: Collection[str] | None, fields: list[str],
                   variables: list[str]) -> Engine | None:
    """The forward-mode engine for a point set whose residuals read ``reads`` (field and derivative
    names, and sums of second derivatives such as ``"u_xx+u_yy"``), or None where nested autograd
    must serve: the reads are unknown, one is of third order or up, or the network holds a module
    this module does not propagate."""
    if reads is None or not supports(network):
        return None
    wanted = {()}
    for name in reads:
        key = derivative_key(name, tuple(fields), tuple(variables))
        if key is not None:
            wanted.add(key[1])
    plan = Plan.of(wanted)
    return None if plan is None else partial(_forward, network, plan)


def _forward(network: nn.Module, plan: Plan, points: torch.Tensor):
    """:func:`derivatives` keyed by (field index, derivative), as :class:`~pinnsolve.derivatives.Fields` reads them."""
    return {(i, by): outputs[:, i] for by, outputs in derivatives(network, plan, points).items()
            for i in range(outputs.shape[-1])}
