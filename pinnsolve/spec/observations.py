"""The ``type: data`` entries of a spec's ``conditions`` -> :class:`~pinnsolve.observations.Observations` terms.

Observations are read from a file (``file: obs.csv``) or drawn from the reference (``from:
reference``); each entry becomes a term named ``data`` (numbered ``data_1``, ``data_2``, … when
several are unnamed), checked against the domain and the fields here, with the entry's path.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError, check_choice
from pinnsolve.observations import DEFAULT_NAME, SUFFIXES, Observations, read_observations, synthetic_observations
from pinnsolve.sampling import SAMPLERS
from pinnsolve.spec.values import _data_file, _integer, _list, _mapping, _number, _string

KEYS = ("type", "name", "field", "fields", "file", "from", "count", "sampler", "noise", "seed")
MAX_COUNT = 10_000_000


def _is_data(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("type") == "data"


def _observations(entries: list[tuple[int, dict]], domain: Domain, fields: list[str], reference: Callable | None,
                  folder: Path) -> tuple[list[Observations], list[str]]:
    """The data terms of the ``conditions`` entries given as (index, entry), with the path of each."""
    names = [entry.get("name", DEFAULT_NAME) for _, entry in entries]
    unnamed = [i for i, (_, entry) in enumerate(entries) if "name" not in entry]
    terms, paths = [], []
    for k, (i, entry) in enumerate(entries):
        path = f"conditions[{i}]"
        name = _string(names[k], f"{path}.name")
        if k in unnamed and len(unnamed) > 1:
            name = f"{DEFAULT_NAME}_{unnamed.index(k) + 1}"
        terms.append(_observation(entry, path, name, domain, fields, reference, folder))
        paths.append(path)
    return terms, paths


def _observation(value: dict, path: str, name: str, domain: Domain, fields: list[str], reference: Callable | None,
                 folder: Path) -> Observations:
    raw = _mapping(value, path, KEYS)
    if ("file" in raw) == ("from" in raw):
        raise SpecError(path, "give the observations by 'file: <path>' or by 'from: reference', exactly one of them")
    if "field" in raw and "fields" in raw:
        raise SpecError(f"{path}.fields", "give 'field' or 'fields', not both")
    observed = None
    if "field" in raw:
        observed = [check_choice(raw["field"], f"{path}.field", fields)]
    elif "fields" in raw:
        observed = [check_choice(f, f"{path}.fields[{j}]", fields) for j, f in enumerate(_list(raw["fields"], f"{path}.fields"))]
        if not observed:
            raise SpecError(f"{path}.fields", "name at least one field")
    if "file" in raw:
        for key in ("count", "sampler", "noise", "seed"):
            if key in raw:
                raise SpecError(f"{path}.{key}", "only observations drawn 'from: reference' take this key")
        file = _data_file(value, "file", f"{path}.file", folder, SUFFIXES)
        try:
            points, values = read_observations(file, domain.variables, fields, observed)
        except ValueError as error:
            raise SpecError(f"{path}.file", str(error)) from None
        where = f"{path}.file"
    else:
        check_choice(raw["from"], f"{path}.from", ("reference",))
        if reference is None:
            raise SpecError(f"{path}.from", "the problem has no reference to draw observations from; add a reference "
                                            "section or read them from a file")
        if "count" not in raw:
            raise SpecError(f"{path}.count", "missing: say how many observations to draw, e.g. count: 2000")
        count = _integer(raw["count"], f"{path}.count", 1, MAX_COUNT)
        sampler = check_choice(raw.get("sampler", "sobol"), f"{path}.sampler", SAMPLERS)
        noise = _number(raw.get("noise", 0.0), f"{path}.noise", non_negative=True)
        seed = _integer(raw.get("seed", 0), f"{path}.seed", 0, 2**63 - 1)
        points, values = synthetic_observations(reference, domain, observed or fields, count, sampler, noise, seed)
        where = path
    try:
        term = Observations(points, values, name)
        term.check(domain, fields)
    except ValueError as error:
        raise SpecError(where, str(error)) from None
    return term
