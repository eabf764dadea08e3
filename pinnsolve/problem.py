"""A PDE problem: a domain, the unknown fields, parameters, residuals and conditions.

Residuals and condition values are Python callables ``g(f, p)``: ``f`` is a
:class:`~pinnsolve.derivatives.Fields` view (fields, derivatives and coordinates by name) and ``p``
the parameters by name. A residual returns a tensor that should vanish; the loss of each term is
its mean square. A condition value may also be a plain number.
"""

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field as dataclass_field
from types import MappingProxyType

import numpy as np
import torch

from pinnsolve.derivatives import Fields
from pinnsolve.domain import Domain, Side
from pinnsolve.errors import SpecError, describe
from pinnsolve.observations import Observations
from pinnsolve.terms import INTERIOR, Interior, OnBoundary, OnSides, OppositeSides, PointSource, Term, reads_of

Value = float | Callable[[Fields, "Params"], torch.Tensor]
Reference = Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]]


class Unknown:
    """A parameter to identify: trained with the network, starting from ``initial``.

    The optimizer trains ``raw``, an unconstrained tensor r, and the problem reads θ(r):
    θ = r by default; ``positive=True``: θ = exp(r), so θ stays positive and a step changes it in
    proportion to its size (a viscosity of 1e-3 and a wave speed of 10 learn alike);
    ``bounds=(lo, hi)``: θ = lo + (hi − lo)·sigmoid(r), so θ stays strictly inside."""

    def __init__(self, initial: float, positive: bool = False, bounds: tuple[float, float] | None = None):
        if isinstance(initial, bool) or not isinstance(initial, (int, float)) or not np.isfinite(initial):
            raise ValueError(f"initial value must be a finite number, got {initial!r}")
        if positive and bounds is not None:
            raise ValueError("give positive or bounds, not both (bounds above zero keep it positive)")
        if bounds is not None:
            lo, hi = (float(b) for b in bounds)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"bounds must be two finite numbers [lo, hi] with lo < hi, got {list(bounds)}")
            if not lo < initial < hi:
                raise ValueError(f"initial value {initial} must lie strictly inside the bounds [{lo}, {hi}]")
            bounds = (lo, hi)
        if positive and not initial > 0:
            raise ValueError(f"initial value of a positive parameter must be > 0, got {initial}")
        self.initial, self.positive, self.bounds = float(initial), bool(positive), bounds
        if positive:
            raw = np.log(initial)
        elif bounds is not None:
            fraction = (initial - bounds[0]) / (bounds[1] - bounds[0])
            raw = np.log(fraction / (1 - fraction))
        else:
            raw = initial
        self.raw = torch.tensor(float(raw), dtype=torch.float64, requires_grad=True)

    def value(self) -> torch.Tensor:
        if self.positive:
            return self.raw.exp()
        if self.bounds is not None:
            return self.bounds[0] + (self.bounds[1] - self.bounds[0]) * torch.sigmoid(self.raw)
        return self.raw


class Params(Mapping):
    """Named problem parameters, readable as ``p.nu`` or ``p["nu"]``: numbers, tensors, or
    :class:`Unknown` ones. An unknown, or a tensor that requires grad, is trained with the network
    (see :func:`pinnsolve.objective.trainable`); residuals, condition values and output transforms
    read its current value at each call."""

    def __init__(self, values: Mapping[str, float | torch.Tensor | Unknown] | None = None):
        self._values = dict(values or {})

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"unknown parameter {name!r}; parameters are {', '.join(self._values) or 'none'}") from None

    def __getitem__(self, name: str):
        value = self._values[name]
        return value.value() if isinstance(value, Unknown) else value

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every tensor held, trained or not (an unknown's raw tensor): what moves with the network."""
        return {name: value.raw if isinstance(value, Unknown) else value for name, value in self._values.items()
                if isinstance(value, (Unknown, torch.Tensor))}

    def trainable(self) -> dict[str, torch.Tensor]:
        """The tensors that are trained: an unknown's raw tensor, or a tensor that requires grad."""
        return {name: value for name, value in self.tensors().items() if value.requires_grad}

    def numbers(self, trainable_only: bool = False) -> dict[str, float]:
        """The current value of every parameter (or of the trained ones) as a float."""
        names = self.trainable() if trainable_only else self._values
        return {name: float(self[name].detach()) if isinstance(self[name], torch.Tensor) else float(self[name])
                for name in names}


def _evaluate(value: Value, f: Fields, p: Params) -> torch.Tensor | float:
    return value(f, p) if callable(value) else float(value)


def _along(field: str, variable: str, order: int) -> str:
    """The name of the ``order``-th derivative of ``field`` along ``variable`` (``u``, ``u_t``, ``u_tt``)."""
    return field + ("_" + variable * order if order else "")


@dataclass
class Condition:
    """Base of all conditions: which field, and the loss-term name (defaults to the kind). A
    condition compiles into a :class:`~pinnsolve.terms.Term`: its residual on its point source."""

    field: str
    name: str | None = dataclass_field(default=None, kw_only=True)
    kind = "condition"

    def where(self, domain: Domain) -> PointSource:
        raise NotImplementedError

    def reads(self, domain: Domain) -> set[str]:
        """The fields and derivatives the residual reads besides its value's."""
        raise NotImplementedError

    def residual(self, f: Fields, p: Params, domain: Domain) -> torch.Tensor:
        raise NotImplementedError

    def term(self, name: str, domain: Domain) -> Term:
        values = [reads_of(getattr(self, key, 0.0)) for key in ("value", "a", "b")]
        return Term(name, self.where(domain), functools.partial(self.residual, domain=domain),
                    None if None in values else frozenset(self.reads(domain).union(*values)))


class _AlongVariable(Condition):
    """A condition posed on the lower side of its ``variable`` (declared by the subclass)."""

    def sides(self, domain: Domain) -> list[Side]:
        return [domain.side(f"{self.variable}=min", "variable")]

    def where(self, domain: Domain) -> PointSource:
        return OnSides(tuple(self.sides(domain)))


@dataclass
class Initial(_AlongVariable):
    """u = value at ``variable = min`` (``order=1``: the rate ∂u/∂t = value, for wave-type problems)."""

    value: Value = 0.0
    variable: str = "t"
    order: int = 0
    kind = "initial"

    def reads(self, domain: Domain) -> set[str]:
        return {_along(self.field, self.variable, self.order)}

    def residual(self, f: Fields, p: Params, domain: Domain) -> torch.Tensor:
        return f[_along(self.field, self.variable, self.order)] - _evaluate(self.value, f, p)


@dataclass
class _OnBoundary(Condition):
    """A condition on sides of the box (``"x=min"``) or on named parts of the geometry's boundary
    (``"hole"``, ``"room.2"``, ``"boundary"``)."""

    on: str | list[str] = ""
    value: Value = 0.0

    def _texts(self) -> list[str]:
        return [self.on] if isinstance(self.on, str) else list(self.on)

    def where(self, domain: Domain) -> PointSource:
        located = domain.boundary(self._texts())
        return OnSides(located) if isinstance(located, tuple) else OnBoundary(located)

    def normal_variables(self, domain: Domain) -> list[str]:
        """The variables the outward normals can point along: the sides' variables, or the
        geometry's. (Read from the names alone: residuals ask at every step.)"""
        texts = self._texts()
        if domain.shape is not None and not any("=" in str(text) for text in texts):
            return list(domain.shape_variables)
        return list(dict.fromkeys(domain.side(text).variable for text in texts))

    def flux(self, f: Fields, domain: Domain) -> torch.Tensor:
        """∂u/∂n = n·∇u. Each point carries the outward normal where it was sampled, so no coordinate
        is compared with a bound."""
        normal = f.point_data["normal"]
        return sum(normal[..., domain.index(v)] * f[f"{self.field}_{v}"] for v in self.normal_variables(domain))


@dataclass
class Dirichlet(_OnBoundary):
    """u = value on the given sides or boundary parts, e.g. ``Dirichlet("u", on=["x=-1", "x=1"], value=0)``."""

    kind = "dirichlet"

    def reads(self, domain: Domain) -> set[str]:
        return {self.field}

    def residual(self, f: Fields, p: Params, domain: Domain) -> torch.Tensor:
        return f[self.field] - _evaluate(self.value, f, p)


@dataclass
class Neumann(_OnBoundary):
    """∂u/∂n = value on the given sides or boundary parts, n the outward normal (−x on x=min)."""

    kind = "neumann"

    def reads(self, domain: Domain) -> set[str]:
        return {f"{self.field}_{v}" for v in self.normal_variables(domain)}

    def residual(self, f: Fields, p: Params, domain: Domain) -> torch.Tensor:
        return self.flux(f, domain) - _evaluate(self.value, f, p)


@dataclass
class Robin(_OnBoundary):
    """a·u + b·∂u/∂n = value on the given sides or boundary parts (convective heat transfer, an
    impedance wall); a and b are numbers or, like the value, expressions."""

    a: Value = 1.0
    b: Value = 1.0
    kind = "robin"

    def reads(self, domain: Domain) -> set[str]:
        return {self.field} | {f"{self.field}_{v}" for v in self.normal_variables(domain)}

    def residual(self, f: Fields, p: Params, domain: Domain) -> torch.Tensor:
        return (_evaluate(self.a, f, p) * f[self.field] + _evaluate(self.b, f, p) * self.flux(f, domain)
                - _evaluate(self.value, f, p))


@dataclass
class Periodic(_AlongVariable):
    """u and its first ``derivatives`` derivatives along ``variable`` agree on the two opposite sides."""

    variable: str = "x"
    derivatives: int = 1
    kind = "periodic"

    def where(self, domain: Domain) -> PointSource:
        self.sides(domain)  # validates the variable
        return OppositeSides(self.variable)

    def reads(self, domain: Domain) -> set[str]:
        return {_along(self.field, self.variable, order) for order in range(self.derivatives + 1)}

    def residual(self, f: Fields, p: Params, domain: Domain) -> torch.Tensor:
        gaps = []
        for order in range(self.derivatives + 1):
            lower, upper = f[_along(self.field, self.variable, order)]  # the pairs, by construction
            gaps.append(upper - lower)
        return torch.cat(gaps)


def check_field_names(fields, domain: Domain) -> list[str]:
    """At least one field; each a unique identifier, distinct from the variables."""
    fields = list(fields)
    if not fields:
        raise SpecError("fields", "declare at least one field, e.g. [u]")
    for i, f in enumerate(fields):
        if not isinstance(f, str) or not f.isidentifier() or f in domain.variables or fields.count(f) > 1:
            raise SpecError(f"fields[{i}]", f"field name {describe(f)} must be a unique identifier, distinct from the variables")
    return fields


class Problem:
    """Everything that defines the PDE problem, independent of how it is solved.

    It compiles into :attr:`terms`: one per residual (on the interior points), one per condition,
    then the given ``terms`` (custom :class:`~pinnsolve.terms.Term` objects, such as
    :class:`~pinnsolve.observations.Observations`), in that order. ``reference_params``: the true
    values of unknown parameters, when known (a synthetic study); a run reports each learned value's
    relative error against them.
    """

    def __init__(self, domain: Domain, fields: list[str], residuals: Callable | Mapping[str, Callable],
                 conditions: list[Condition] = (), params: Mapping[str, float | torch.Tensor] | None = None,
                 reference: Reference | None = None, name: str = "problem", terms: list[Term] = (),
                 reference_params: Mapping[str, float] | None = None):
        self.domain = domain
        self.fields = check_field_names(fields, domain)
        self.residuals = MappingProxyType(dict(residuals) if isinstance(residuals, Mapping) else {INTERIOR: residuals})
        if not self.residuals:
            raise SpecError("pde", "give at least one residual")
        self.conditions = list(conditions)
        self.params = Params(params)
        self.reference = reference
        self.reference_params = dict(reference_params or {})
        for unknown in self.reference_params:
            if unknown not in self.params.trainable():
                raise SpecError(f"reference_params.{unknown}", f"{unknown!r} is not a trained parameter")
        self.name = name
        for i, c in enumerate(self.conditions):
            if c.field not in self.fields:
                raise SpecError(f"conditions[{i}].field", f"unknown field {c.field!r}; fields are {', '.join(self.fields)}")
            try:
                c.where(domain)  # validates the sides or boundary parts against the domain
            except SpecError as error:
                raise SpecError(f"conditions[{i}].{error.path}", error.message) from None
        self.condition_names = self._name_conditions()
        if INTERIOR in self.condition_names:
            i = self.condition_names.index(INTERIOR)
            raise SpecError(f"conditions[{i}].name", "'pde' names the interior points; choose another name")
        clash = set(self.residuals) & set(self.condition_names)
        if clash:
            raise SpecError("conditions", f"term name {sorted(clash)[0]!r} is used by a residual and a condition")
        self.terms: list[Term] = (
            [Term(name, Interior(), residual, reads_of(residual)) for name, residual in self.residuals.items()]
            + [c.term(name, domain) for name, c in zip(self.condition_names, self.conditions)] + list(terms))
        names = [term.name for term in self.terms]
        for i, term in enumerate(terms):
            if isinstance(term, Observations):
                try:
                    term.check(domain, self.fields)
                except ValueError as error:
                    raise SpecError(f"terms[{i}]", str(error)) from None
            if term.name == INTERIOR and not isinstance(term.where, Interior):
                raise SpecError(f"terms[{i}].name", "'pde' names the interior points; choose another name")
            if names.count(term.name) > 1:
                raise SpecError(f"terms[{i}].name", f"term name {term.name!r} is used twice; give each term its own name")

    def _name_conditions(self) -> list[str]:
        """Explicit names, else the kind; a kind used by several unnamed conditions is numbered."""
        names = [c.name or c.kind for c in self.conditions]
        numbered = {n: 0 for n in names if names.count(n) > 1}
        for i, c in enumerate(self.conditions):
            if names[i] in numbered:
                if c.name is not None:
                    raise SpecError(f"conditions[{i}].name", f"term name {c.name!r} is used twice")
                numbered[names[i]] += 1
                names[i] = f"{names[i]}_{numbered[names[i]]}"
        for i, name in enumerate(names):
            if names.index(name) != i:
                raise SpecError(f"conditions[{i}].name", f"term name {name!r} is used twice; give each condition its own name")
        return names

    @property
    def term_names(self) -> list[str]:
        return [term.name for term in self.terms]

    @property
    def point_sets(self) -> dict[str, PointSource]:
        """The point sets by name (``"pde"`` for the interior, shared), in sampling order."""
        sets: dict[str, PointSource] = {}
        for term in self.terms:
            sets.setdefault(term.point_set, term.where)
        return sets
