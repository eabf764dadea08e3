"""Observations: values of fields measured at given points, as a loss term.

A data term is one more :class:`~pinnsolve.terms.Term`: its points are given, not sampled, and its
residual is the misfit ``u(x) − u_observed`` of every observed field, so its loss is the mean
square misfit. It is named, weighted and balanced like the PDE and condition terms.

Observations come from a file (``.npz``, HDF5 ``.h5``/``.hdf5``, or ``.csv`` with a header row),
one column per variable and per observed field, one row per point; or they are drawn from a
problem's reference solution for synthetic studies, optionally with Gaussian noise scaled by the
standard deviation of each field's values, as Raissi, Perdikaris & Karniadakis (J. Comput. Phys.
378, 2019) corrupt their training data. Files are read as plain arrays: ``numpy.load(allow_pickle=False)``,
h5py and the CSV parser never unpickle or evaluate anything.
"""

import csv
import functools
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from pinnsolve.domain import Domain
from pinnsolve.references.grid_file import read_arrays
from pinnsolve.sampling import Sampler
from pinnsolve.terms import GivenPoints, Term

SUFFIXES = (".npz", ".h5", ".hdf5", ".csv")
DEFAULT_NAME = "data"


def _misfit(f, p, fields: tuple[str, ...]) -> torch.Tensor:
    return torch.cat([(f[field] - f.point_data[field][..., 0]).reshape(-1) for field in fields])


class Observations(Term):
    """A data term: ``Observations(points, {"u": values}, name="data")``. ``points`` has shape
    (n, d), one column per variable in the domain's order; each field's values have n entries. With
    several fields, every field is observed at every point and the misfits share one mean square."""

    def __init__(self, points, values: Mapping[str, np.ndarray], name: str = DEFAULT_NAME):
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or len(points) == 0:
            raise ValueError(f"points must be an (n, d) array with n >= 1, got shape {points.shape}")
        if not np.all(np.isfinite(points)):
            raise ValueError(f"the point at index {_first_bad(points)} has NaN or infinite coordinates")
        if not values:
            raise ValueError("give the values of at least one field")
        arrays = {}
        for field, array in values.items():
            array = np.asarray(array, dtype=np.float64)
            if array.shape not in ((len(points),), (len(points), 1)):
                raise ValueError(f"values of {field!r} have shape {array.shape}; expected ({len(points)},), one per point")
            if not np.all(np.isfinite(array)):
                raise ValueError(f"value of {field!r} at index {_first_bad(array)} is NaN or infinite")
            arrays[field] = array
        self.fields = tuple(arrays)
        super().__init__(name, GivenPoints(points, **arrays), functools.partial(_misfit, fields=self.fields),
                         frozenset(self.fields))

    def check(self, domain: Domain, fields: list[str]) -> None:
        """Raise ValueError unless the observed fields are the problem's and every point lies in the domain."""
        for field in self.fields:
            if field not in fields:
                raise ValueError(f"unknown field {field!r}; fields are {', '.join(fields)}")
        points = self.where.points
        if points.shape[1] != domain.dim:
            raise ValueError(f"points have {points.shape[1]} coordinates; the domain has {domain.dim} "
                             f"({', '.join(domain.variables)})")
        for i, variable in enumerate(domain.variables):
            lo, hi = domain.bounds[variable]
            outside = np.flatnonzero((points[:, i] < lo) | (points[:, i] > hi))
            if len(outside):
                k = outside[0]
                raise ValueError(f"{len(outside)} of {len(points)} observations lie outside the domain, the first at "
                                 f"index {k}: {variable} = {points[k, i]:g} is not in [{lo:g}, {hi:g}]")
        outside = np.flatnonzero(~domain.inside(points))
        if len(outside):
            k = outside[0]
            at = ", ".join(f"{v} = {points[k, i]:g}" for i, v in enumerate(domain.variables))
            raise ValueError(f"{len(outside)} of {len(points)} observations lie outside the geometry, the first at "
                             f"index {k}: {at}")


def _first_bad(array: np.ndarray) -> int:
    """The index (along the first axis) of the first row holding a NaN or infinity."""
    return int(np.flatnonzero(~np.isfinite(array.reshape(len(array), -1)).all(axis=1))[0])


def read_observations(path: str | Path, variables: list[str], fields: list[str],
                      observed: list[str] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Points (n, d) and values by field from a file with one column (array) per variable and field.

    ``observed``: the fields to read (default: every field the file has a column for). A column that
    names neither a variable nor a field is an error, as is a missing variable or observed field."""
    path = Path(path)
    columns = _read_columns(path)
    for name in columns:
        if name not in variables and name not in fields:
            raise ValueError(f"{path.name}: column {name!r} is neither a variable ({', '.join(variables)}) nor a "
                             f"field ({', '.join(fields)})")
    observed = list(observed) if observed is not None else [f for f in fields if f in columns]
    for name in variables + observed:
        if name not in columns:
            raise ValueError(f"{path.name} has no column {name!r}; it needs one per variable and observed field "
                             f"({', '.join(variables + (observed or ['<field>']))})")
    lengths = {len(columns[name]) for name in variables + observed}
    if len(lengths) > 1:
        raise ValueError(f"{path.name}: columns have different lengths {sorted(lengths)}; give one row per point")
    return np.stack([columns[v] for v in variables], axis=1), {f: columns[f] for f in observed}


def _read_columns(path: Path) -> dict[str, np.ndarray]:
    if path.suffix.lower() == ".csv":
        try:
            columns = _read_csv(path)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"cannot read {path.name!r} as a .csv file of numeric columns ({error})") from None
    else:
        columns = read_arrays(path)
    for name, column in columns.items():
        if column.ndim != 1 and not (column.ndim == 2 and column.shape[1] == 1):
            raise ValueError(f"{path.name}: array {name!r} has shape {column.shape}; expected one value per point (n,)")
    if not columns:
        raise ValueError(f"{path.name} holds no columns")
    return {name: column.reshape(-1) for name, column in columns.items()}


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as file:
        rows = [row for row in csv.reader(file) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError("the file is empty; expected a header row of column names, then one row per point")
    header = [name.strip() for name in rows[0]]
    if len(set(header)) != len(header):
        raise ValueError(f"the header names a column twice: {', '.join(header)}")
    values = np.full((len(rows) - 1, len(header)), np.nan)
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise ValueError(f"line {i + 2} has {len(row)} values; the header has {len(header)}")
        for j, cell in enumerate(row):
            try:
                values[i, j] = float(cell)
            except ValueError:
                raise ValueError(f"line {i + 2}, column {header[j]!r}: {cell.strip()!r} is not a number") from None
    return {name: values[:, j] for j, name in enumerate(header)}


def synthetic_observations(reference: Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]],
                           domain: Domain, fields: list[str], count: int, sampler: str = "sobol", noise: float = 0.0,
                           seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``count`` points drawn over the domain by ``sampler``, and the reference's values of
    ``fields`` there, each plus ``noise``·std(values)·N(0, 1) (a relative noise level: 0.01 is 1 %).
    ``seed`` fixes both the points and the noise."""
    if not count >= 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if not noise >= 0:
        raise ValueError(f"noise must be a non-negative number, got {noise}")
    points = Sampler(sampler, seed).interior(domain, count)
    exact = reference({v: points[:, i] for i, v in enumerate(domain.variables)})
    rng = np.random.default_rng([seed, 1])  # a stream apart from the sampler's
    values = {}
    for field in fields:
        clean = np.broadcast_to(np.asarray(exact[field], dtype=np.float64), (count,))
        values[field] = clean + noise * np.std(clean) * rng.standard_normal(count)
    return points, values
