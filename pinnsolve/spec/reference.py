"""The ``reference`` section of a spec -> a reference callable and the true values of the unknowns.

A reference is a data file, an expression per field, the solution of an ODE system, or one of the
benchmark solutions in :mod:`pinnsolve.references`, each checked against the problem it is meant
for (the domain and the fields it solves). ``reference.params`` gives the true values of unknown
parameters: an analytic reference reads them, and a run reports each learned value's error.
"""

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError, check_choice
from pinnsolve.expressions import compile_expression
from pinnsolve.problem import Unknown
from pinnsolve.references import GridReference, allen_cahn, burgers_cole_hopf, schrodinger
from pinnsolve.references.grid_file import SUFFIXES
from pinnsolve.references.ode import ode_solution
from pinnsolve.spec.values import _data_file, _mapping, _number

# Benchmarks with one fixed setting: the variables and their bounds, and the fields they give.
BENCHMARKS = {
    "allen_cahn": ({"x": (-1.0, 1.0), "t": (0.0, 1.0)}, ("u",),
                   lambda c: {"u": allen_cahn(c["x"], c["t"])}),
    "schrodinger": ({"x": (-5.0, 5.0), "t": (0.0, math.pi / 2)}, ("u", "v"),
                    lambda c: {k: v for k, v in schrodinger(c["x"], c["t"]).items() if k in ("u", "v")}),
}
TYPES = ("expression", "burgers_cole_hopf", "file", "ode") + tuple(BENCHMARKS)


def _reference(value: Any, domain: Domain, fields: list[str], params: Mapping[str, float | Unknown],
               folder: Path) -> tuple[Callable, dict[str, float]]:
    """The reference callable and the true values of unknowns; a file's path is made absolute in
    ``value``, for the stored spec."""
    raw = _mapping(value, "reference", required=("type",))
    kind = check_choice(raw["type"], "reference.type", TYPES)
    truth = _true_params(raw.get("params", {}), params)
    known = {k: v for k, v in params.items() if not isinstance(v, Unknown)} | truth
    if kind == "file":
        _mapping(raw, "reference", ("type", "path", "params"), required=("path",))
        path = _data_file(value, "path", "reference.path", folder, SUFFIXES)
        try:
            return GridReference(path, domain.variables, fields), truth
        except ValueError as error:
            raise SpecError("reference.path", str(error)) from None
    if kind == "burgers_cole_hopf":
        raw = _mapping(raw, "reference", ("type", "nu", "params"))
        if "nu" in raw:
            nu = _number(raw["nu"], "reference.nu", positive=True)
        elif "nu" in known:
            nu = _number(known["nu"], "reference.params.nu" if "nu" in truth else "params.nu", positive=True)
        else:
            raise SpecError("reference.nu", "missing: give the viscosity, or declare params.nu (reference.params.nu "
                                            "when it is unknown)")
        _check_benchmark(kind, {"x": (-1.0, 1.0), "t": None}, ("u",), domain, fields)
        return (lambda c: {fields[0]: burgers_cole_hopf(c["x"], c["t"], nu)}), truth
    if kind in BENCHMARKS:
        _mapping(raw, "reference", ("type", "params"))
        bounds, given, solution = BENCHMARKS[kind]
        _check_benchmark(kind, bounds, given, domain, fields)
        return (lambda c: dict(zip(fields, solution(c).values()))), truth
    if kind == "ode":
        return _ode(raw, domain, fields, known, params), truth
    raw = _mapping(raw, "reference", ("type", "params") + tuple(fields), required=tuple(fields))
    expressions = {f: _compile(raw[f], domain.variables, known, params, f"reference.{f}") for f in fields}

    def analytic(coordinates: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        env = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in coordinates.items()} | known
        shape = np.broadcast_shapes(*(np.shape(v) for v in coordinates.values()))
        return {f: np.broadcast_to(np.asarray(e(env), dtype=np.float64), shape).copy() for f, e in expressions.items()}

    return analytic, truth


def _check_benchmark(kind: str, bounds: Mapping[str, tuple[float, float] | None], given: tuple[str, ...],
                     domain: Domain, fields: list[str]) -> None:
    """The domain must be the benchmark's (a bound of None is free) and the fields as many as it gives."""
    if sorted(domain.variables) != sorted(bounds) or any(
            b is not None and not np.allclose(domain.bounds[v], b, rtol=1e-12, atol=0) for v, b in bounds.items()):
        wanted = ", ".join(f"{v} in [{b[0]:g}, {b[1]:g}]" if b else v for v, b in bounds.items())
        raise SpecError("reference.type", f"{kind} is solved on the variables {wanted}; this domain differs")
    if len(fields) != len(given):
        raise SpecError("reference.type", f"{kind} gives {len(given)} field{'s' * (len(given) > 1)} "
                                          f"({', '.join(given)}, in this order); this problem has {len(fields)}")


def _ode(raw: dict, domain: Domain, fields: list[str], known: Mapping[str, float], params: Mapping[str, Any]) -> Callable:
    """``type: ode``: the fields' rates ``{u: "...", ...}`` in the variable, the fields and the
    parameters, and their ``initial`` values at the variable's lower bound."""
    raw = _mapping(raw, "reference", ("type", "params", "rates", "initial"), required=("rates", "initial"))
    if domain.dim != 1:
        raise SpecError("reference.type", f"an ode reference needs one variable; this domain has {domain.dim}")
    (variable,) = domain.variables
    rates = _mapping(raw["rates"], "reference.rates", tuple(fields), required=tuple(fields))
    initial = _mapping(raw["initial"], "reference.initial", tuple(fields), required=tuple(fields))
    symbols = [variable] + list(fields)
    compiled = [_compile(rates[f], symbols, known, params, f"reference.rates.{f}") for f in fields]
    start = [_number(initial[f], f"reference.initial.{f}") for f in fields]

    def slope(t: float, y: np.ndarray) -> np.ndarray:
        env = {variable: torch.tensor(t, dtype=torch.float64)} | dict(zip(fields, torch.from_numpy(y))) | known
        return np.array([float(rate(env)) for rate in compiled])

    low, high = domain.bounds[variable]
    try:
        solution = ode_solution(slope, start, low, high)
    except (ValueError, ArithmeticError) as error:
        raise SpecError("reference.rates", str(error)) from None
    return lambda c: dict(zip(fields, solution(c[variable])))


def _compile(text: Any, symbols: list[str], known: Mapping[str, float], params: Mapping[str, Any], path: str):
    """An expression over ``symbols`` and the known parameters; reading an unknown is a clear error."""
    try:
        return compile_expression(text, list(symbols) + list(known), path)
    except SpecError as error:
        read = [name for name in params if name not in known and f"unknown symbol {name!r}" in error.message]
        if read:
            raise SpecError(error.path, f"{read[0]!r} is an unknown parameter: give the true value the reference "
                                        f"uses in reference.params.{read[0]}") from None
        raise


def _true_params(value: Any, params: Mapping[str, float | Unknown]) -> dict[str, float]:
    """``reference.params``: the true value of each unknown parameter the reference was made with."""
    truth = {}
    for name, number in _mapping(value, "reference.params").items():
        path = f"reference.params.{name}"
        if not isinstance(params.get(name), Unknown):
            raise SpecError(path, f"{name!r} is not an unknown parameter; give true values of the unknowns "
                                  f"({', '.join(k for k, v in params.items() if isinstance(v, Unknown)) or 'none declared'})")
        truth[str(name)] = _number(number, path)
    return truth
