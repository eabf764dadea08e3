"""A result's fields on its evaluation grid, for other tools: VTK (ParaView), CSV, NumPy npz.

Each format holds the grid coordinates and, per field, the prediction (``u``), the reference
(``u_reference``) and the error (``u_error``) where the result has a reference. Grid points
outside a geometry hold NaN in VTK and npz (which keep the grid's structure, with ``mask``) and are
left out of CSV (one row per point of the domain).
"""

from pathlib import Path

import numpy as np

from pinnsolve.files import write_atomically
from pinnsolve.results import Result

FORMATS = ("vtk", "csv", "npz")
SUFFIXES = {"vtk": ".vtu", "csv": ".csv", "npz": ".npz"}


def point_fields(result: Result) -> dict[str, np.ndarray]:
    """Every exported field on the grid, by its exported name."""
    fields = dict(result.solution)
    for suffix, arrays in (("reference", result.reference), ("error", result.error)):
        fields |= {f"{name}_{suffix}": values for name, values in (arrays or {}).items()}
    return fields


def grid_points(result: Result) -> np.ndarray:
    """The grid's points, (∏ len(axis), d), in the arrays' 'ij' order."""
    mesh = np.meshgrid(*result.axes.values(), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def export(result: Result, path: str | Path, format: str) -> Path:
    """Write ``result`` to ``path`` in ``format`` (one of FORMATS), atomically."""
    writers = {"vtk": _vtk, "csv": _csv, "npz": _npz}
    return write_atomically(Path(path), lambda temporary: writers[format](result, temporary))


def _npz(result: Result, path: Path) -> None:
    arrays = {f"grid_{v}": axis for v, axis in result.axes.items()} | point_fields(result)
    if result.mask is not None:
        arrays["mask"] = result.mask
    with open(path, "wb") as file:  # np.savez would append .npz to a name without it
        np.savez(file, **arrays)


def _csv(result: Result, path: Path) -> None:
    fields = point_fields(result)
    inside = np.ones(len(grid_points(result)), bool) if result.mask is None else result.mask.ravel()
    table = np.column_stack([grid_points(result)] + [values.ravel() for values in fields.values()])[inside]
    np.savetxt(path, table, delimiter=",", header=",".join(result.variables + list(fields)), comments="", fmt="%.17g")


def _vtk(result: Result, path: Path) -> None:
    """An unstructured grid of lines, quadrilaterals or hexahedra joining neighbouring grid points
    (VTK's XML format; the variables are its x, y, z in order, time included)."""
    import meshio

    shape = tuple(len(axis) for axis in result.axes.values())
    points = np.zeros((int(np.prod(shape)), 3))
    points[:, :len(shape)] = grid_points(result)
    index = np.arange(points.shape[0]).reshape(shape)
    corners = {1: [(0,), (1,)], 2: [(0, 0), (1, 0), (1, 1), (0, 1)],
               3: [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]}[len(shape)]
    cells = np.stack([index[tuple(slice(c, c + n - 1) for c, n in zip(corner, shape))].ravel() for corner in corners], axis=1)
    kind = {1: "line", 2: "quad", 3: "hexahedron"}[len(shape)]
    mesh = meshio.Mesh(points, [(kind, cells)], point_data={name: values.ravel() for name, values in point_fields(result).items()})
    mesh.write(path, file_format="vtu")
