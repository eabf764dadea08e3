"""Checks of plain values (mappings, lists, strings, numbers), each raising a SpecError at its field path.

They sit between the YAML document and the Python API, so that a wrong type or range is reported
against the field the user wrote instead of surfacing as a TypeError deep inside the solver.
"""

import dataclasses
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pinnsolve.errors import SpecError, describe
from pinnsolve.spec.reader import MAX_NESTING

_FLOAT_MAX = float(np.finfo(np.float64).max)


def _default(owner: Any, name: str) -> Any:
    """The default of ``name`` in the dataclass or signature of ``owner``: the spec reads each
    default from the one place that defines it instead of repeating the value."""
    if dataclasses.is_dataclass(owner):
        field = {f.name: f for f in dataclasses.fields(owner)}[name]
        value = field.default if field.default_factory is dataclasses.MISSING else field.default_factory()
    else:
        value = inspect.signature(owner).parameters[name].default
    if value is dataclasses.MISSING or value is inspect.Parameter.empty:
        raise TypeError(f"{owner.__name__}.{name} has no default")
    return value


def _option(section: Mapping, key: str, owner: Any) -> Any:
    """``section[key]`` when the spec gives it, else the default of ``key`` in ``owner``."""
    return section[key] if key in section else _default(owner, key)


def _mapping(value: Any, path: str, allowed: tuple[str, ...] | None = None, required: tuple[str, ...] = ()) -> dict:
    """A mapping with string keys, only ``allowed`` ones (when given) and all ``required`` ones; None is empty."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise SpecError(path, f"expected a mapping of keys to values, got {describe(value)}")
    for key in value:
        if not isinstance(key, str):
            raise SpecError(path, f"keys must be strings, got {describe(key)}")
        if allowed is not None and key not in allowed:
            raise SpecError(_join(path, key), f"unknown key; expected one of: {', '.join(allowed)}")
    for key in required:
        if key not in value:
            raise SpecError(_join(path, key), "missing (required)")
    return dict(value)


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise SpecError(path, f"expected a list, got {describe(value)}")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(path, f"expected a non-empty string, got {describe(value)}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, f"expected true or false, got {describe(value)}")
    return value


def _number(value: Any, path: str, positive: bool = False, non_negative: bool = False) -> float:
    # A range test rather than isfinite: it also refuses nan, and ints that float() cannot convert (10**400).
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -_FLOAT_MAX <= value <= _FLOAT_MAX:
        raise SpecError(path, f"expected a finite number, got {describe(value)}")
    if positive and not value > 0:
        raise SpecError(path, f"must be positive, got {describe(value)}")
    if non_negative and not value >= 0:
        raise SpecError(path, f"must not be negative, got {describe(value)}")
    return float(value)


def _integer(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, f"expected a whole number, got {describe(value)}")
    if not low <= value <= high:
        raise SpecError(path, f"must lie in [{low}, {high}], got {describe(value)}")
    return value


def _join(path: str, key: str) -> str:
    """The field path of ``key`` inside ``path`` ('' is the whole document)."""
    return f"{path}.{key}" if path else key


def _check_nesting(value: Any, path: str) -> None:
    """Refuse values nested more than MAX_NESTING levels (or containing themselves). Walks without
    recursion, and a collection shared by several parents (a YAML alias) is walked again only when
    reached deeper than before, so an alias bomb costs its size, not its expansion."""
    deepest: dict[int, int] = {}
    pending = [(value, path, 1)]
    while pending:
        value, path, depth = pending.pop()
        if not isinstance(value, (Mapping, list)) or deepest.get(id(value), 0) >= depth:
            continue
        if depth >= MAX_NESTING:
            raise SpecError(path, f"nested more than {MAX_NESTING} levels deep")
        deepest[id(value)] = depth
        if isinstance(value, Mapping):
            pending.extend((v, _join(path, k if isinstance(k, str) else describe(k)), depth + 1) for k, v in value.items())
        else:
            pending.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))


def _set(spec: dict, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in the document; an empty section (``training:`` with nothing under it) is a mapping."""
    *parents, last = dotted.split(".")
    node = spec
    for depth, key in enumerate(parents):
        if node.get(key) is None:
            node[key] = {}
        node = node[key]
        if not isinstance(node, dict):
            raise SpecError(".".join(parents[:depth + 1]), f"expected a mapping of keys to values, to set {dotted}")
    node[last] = value


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a document by its field path (an empty mapping or list is a leaf too)."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, _join(path, str(key))).items()} or {path: {}}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flatten(item, f"{path}[{i}]").items()} or {path: []}
    return {path: value}


def _data_file(section: dict, key: str, path: str, folder: Path, suffixes: tuple[str, ...]) -> Path:
    """The existing file ``section[key]`` names, relative to the spec's ``folder``, with one of
    ``suffixes``. Its absolute path replaces the entry, so the stored spec finds it from anywhere."""
    file = folder / _string(section[key], path)
    if file.suffix.lower() not in suffixes:
        raise SpecError(path, f"expected a {', '.join(suffixes)} file, got {section[key]!r}")
    if not file.is_file():
        raise SpecError(path, f"no such file {section[key]!r} (a relative path starts at the spec's folder)")
    section[key] = str(file.resolve())
    return file
