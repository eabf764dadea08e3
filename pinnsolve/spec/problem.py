"""The problem sections of a spec (variables, geometry, fields, params, pde, conditions) -> the Python API.

Expressions are compiled by :mod:`pinnsolve.expressions`, which never evaluates code; the checks
that belong to the problem itself (field names, condition sides, term names) are left to
:class:`~pinnsolve.problem.Problem`, so that a spec and a Python caller are held to the same rules.
"""

import ast
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pinnsolve.derivatives import Fields, parse_name
from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError, check_choice
from pinnsolve.expressions import Expression, SymbolTable, compile_expression
from pinnsolve.problem import Condition, Dirichlet, Initial, Neumann, Periodic, Robin, Unknown, check_field_names
from pinnsolve.spec.geometry import _geometry_domain
from pinnsolve.spec.values import _bool, _integer, _list, _mapping, _number, _string

MAX_DERIVATIVE_ORDER = 8  # PDEs in use go to order 6 (phase-field crystal); a longer name is a typo


def _domain(value: Any, geometry: Any = None) -> Domain:
    """``variables`` (intervals) and, when given, ``geometry`` (a shape over more variables)."""
    variables = _mapping(value, "variables")
    for name, interval in variables.items():
        path = f"variables.{name}"
        if not isinstance(interval, list) or len(interval) != 2:
            raise SpecError(path, "expected an interval [min, max]")
        for i, bound in enumerate(interval):
            _number(bound, f"{path}[{i}]")
    intervals = {str(k): tuple(v) for k, v in variables.items()}
    return Domain(**intervals) if geometry is None else _geometry_domain(geometry, intervals)


def _fields(value: Any, domain: Domain) -> list[str]:
    """``fields``: a list of names, or one name, checked as Problem checks them, before any
    expression is compiled over them."""
    return check_field_names([value] if isinstance(value, str) else _list(value, "fields"), domain)


PARAMETER_KEYS = ("initial", "trainable", "positive", "bounds")


def _params(value: Any, domain: Domain, fields: list[str]) -> dict[str, float | Unknown]:
    """``params``: a number per known parameter; ``{initial, trainable, positive, bounds}`` for an
    unknown one (trainable by default once written as a mapping)."""
    params: dict[str, float | Unknown] = {}
    for name, declared in _mapping(value, "params").items():
        path = f"params.{name}"
        if not str(name).isidentifier() or str(name).startswith("_"):
            raise SpecError(path, "a parameter name must be a plain identifier")
        if name in domain.variables or name in fields:
            raise SpecError(path, f"{name!r} is already a variable or field name")
        if not isinstance(declared, Mapping):
            params[str(name)] = _number(declared, path)
            continue
        raw = _mapping(declared, path, PARAMETER_KEYS, required=("initial",))
        initial = _number(raw["initial"], f"{path}.initial")
        if not _bool(raw.get("trainable", True), f"{path}.trainable"):
            params[str(name)] = initial
            continue
        bounds = None
        if "bounds" in raw:
            bounds = _list(raw["bounds"], f"{path}.bounds")
            if len(bounds) != 2:
                raise SpecError(f"{path}.bounds", "expected [lo, hi]")
            bounds = tuple(_number(b, f"{path}.bounds[{i}]") for i, b in enumerate(bounds))
        try:
            params[str(name)] = Unknown(initial, _bool(raw.get("positive", False), f"{path}.positive"), bounds)
        except ValueError as error:
            raise SpecError(path, str(error)) from None
    return params


def _residuals(value: Any, symbols: "_Symbols") -> dict[str, Callable]:
    """``pde``: one expression, a list of them (pde1, pde2, ...) or a mapping of named ones."""
    if isinstance(value, Mapping):
        items = [(str(k), v, f"pde.{k}") for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"pde{i + 1}", v, f"pde[{i}]") for i, v in enumerate(value)]
    else:
        items = [("pde", value, "pde")]
    if not items:
        raise SpecError("pde", "give at least one residual expression")
    return {name: FieldExpression(compile_expression(text, symbols, path), symbols.fields, symbols.variables)
            for name, text, path in items}


class _Symbols(SymbolTable):
    """What a PDE expression may read: variables, parameters, fields, and derivatives of the fields
    by the variables in any order (``u_xt``, ``u_xxxx``) up to ``MAX_DERIVATIVE_ORDER``. Lists the
    plain names; describes the rest."""

    def __init__(self, fields: list[str], variables: list[str], params: Mapping[str, float]):
        self.fields, self.variables = tuple(fields), tuple(variables)
        self.names = list(variables) + list(params) + list(fields)
        self.description = (f"a variable ({', '.join(variables)}), " + (f"a parameter ({', '.join(params)}), " if params else "")
                            + f"a field ({', '.join(fields)}) or a derivative such as {fields[0]}_{variables[0]} "
                            + f"(of order {MAX_DERIVATIVE_ORDER} at most)")

    def __contains__(self, name: object) -> bool:
        if name in self.names:
            return True
        parsed = parse_name(name, self.fields, self.variables) if isinstance(name, str) else None
        return parsed is not None and len(parsed[1]) <= MAX_DERIVATIVE_ORDER

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class FieldExpression:
    """A compiled expression as a residual or value callable ``g(f, p)``. Parameters are read from
    ``p`` at each call, so a trained parameter is seen at its current value; ``reads`` lists the
    fields and derivatives it reads, a Laplacian-like sum as one name (:func:`summed_seconds`)."""

    def __init__(self, expression: Expression, fields: list[str], variables: list[str]):
        self.expression = expression
        names = {name for name in expression.names if parse_name(name, tuple(fields), tuple(variables)) is not None}
        self.sums = summed_seconds(expression.text, fields, variables)
        summed = {name for group in self.sums for name in group}
        self.reads = frozenset(names - summed | {"+".join(group) for group in self.sums})

    def __call__(self, f: Fields, p: Mapping[str, Any]) -> Any:
        return self.expression(_Values(f, p, self.sums))


def summed_seconds(text: str, fields: list[str], variables: list[str]) -> list[tuple[str, ...]]:
    """Groups of pure second derivatives of one field that ``text`` only adds up, each once, as terms
    of its outermost sum with the same sign: ``("u_xx", "u_yy")`` in ``"-u_xx - u_yy - f"``. The
    expression's value depends on such a group through its sum alone, so the sum can be computed as
    one quantity (which forward mode does at the cost of one second derivative)."""
    tree = ast.parse(text.strip(), mode="eval").body  # already compiled: it parses
    terms: list[tuple[int, ast.AST]] = []

    def flatten(node: ast.AST, sign: int) -> None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            flatten(node.left, sign)
            flatten(node.right, -sign if isinstance(node.op, ast.Sub) else sign)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            flatten(node.operand, -sign if isinstance(node.op, ast.USub) else sign)
        else:
            terms.append((sign, node))

    flatten(tree, 1)
    uses = Counter(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    groups: dict[tuple[str, int], list[str]] = {}
    for sign, node in terms:
        parsed = parse_name(node.id, tuple(fields), tuple(variables)) if isinstance(node, ast.Name) else None
        if parsed is not None and uses[node.id] == 1 and len(parsed[1]) == 2 and parsed[1][0] == parsed[1][1]:
            groups.setdefault((parsed[0], sign), []).append(node.id)
    return [tuple(names) for names in groups.values() if len(names) > 1]


class _Values(Mapping):
    """Names as expressions see them at run time: a parameter, else a field, derivative or coordinate.
    Of a summed group (:func:`summed_seconds`) the first name stands for the whole sum and the others
    for zero, which leaves the expression's value unchanged."""

    def __init__(self, f, params: Mapping[str, Any], sums: list[tuple[str, ...]] = ()):
        self.f, self.params = f, params
        self.summed = {group[0]: "+".join(group) for group in sums} | {name: None for group in sums for name in group[1:]}

    def __getitem__(self, name: str):
        if name in self.params:
            return self.params[name]
        if name in self.summed:
            return 0.0 if self.summed[name] is None else self.f[self.summed[name]]
        return self.f[name]

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)


CONDITIONS: dict[str, tuple[type[Condition], tuple[str, ...]]] = {
    "initial": (Initial, ("value", "variable", "order")),
    "dirichlet": (Dirichlet, ("on", "value")),
    "neumann": (Neumann, ("on", "value")),
    "robin": (Robin, ("on", "a", "b", "value")),
    "periodic": (Periodic, ("variable", "derivatives")),
}


def _condition(value: Any, path: str, domain: Domain, fields: list[str], params: dict[str, float]) -> Condition:
    raw = _mapping(value, path, required=("type",))
    kind = check_choice(raw["type"], f"{path}.type", CONDITIONS)
    cls, keys = CONDITIONS[kind]
    raw = _mapping(raw, path, ("type", "field", "name") + keys, required=("on",) if "on" in keys else ())
    if "field" in raw:
        field = check_choice(raw["field"], f"{path}.field", fields)
    elif len(fields) == 1:
        field = fields[0]
    else:
        raise SpecError(f"{path}.field", f"missing: with several fields say which one ({', '.join(fields)})")
    options: dict[str, Any] = {"name": _string(raw["name"], f"{path}.name") if "name" in raw else None}
    for key in ("value", "a", "b"):
        if key in raw:
            expression = compile_expression(raw[key], domain.variables + list(params), f"{path}.{key}")
            options[key] = FieldExpression(expression, fields, domain.variables) if expression.names else expression({})
    if "on" in raw:
        sides = raw["on"] if isinstance(raw["on"], list) else [raw["on"]]
        for i, side in enumerate(sides):
            domain.boundary([_string(side, f"{path}.on")], f"{path}.on" + (f"[{i}]" if isinstance(raw["on"], list) else ""))
        domain.boundary(sides, f"{path}.on")
        options["on"] = sides
    if "variable" in raw:
        options["variable"] = check_choice(raw["variable"], f"{path}.variable", domain.variables)
    elif kind in ("initial", "periodic"):
        default = "t" if kind == "initial" else "x"
        if default not in domain.variables:
            raise SpecError(f"{path}.variable", f"missing: there is no variable {default!r}; say which variable")
        options["variable"] = default
    if "order" in raw:
        options["order"] = _integer(raw["order"], f"{path}.order", 0, 1)
    if "derivatives" in raw:
        options["derivatives"] = _integer(raw["derivatives"], f"{path}.derivatives", 0, 2)
    return cls(field, **options)
