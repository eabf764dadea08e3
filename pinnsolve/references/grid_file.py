"""A reference solution from a data file: values on a grid, from another solver or an experiment.

The file (``.npz``, or HDF5 ``.h5``/``.hdf5``) holds one strictly increasing 1-D array per variable,
named like it (the grid axes), and one array per field with one dimension per variable, in the
order the spec declares the variables. On the file's grid points the reference is the stored
values; between them it is interpolated linearly (``scipy.interpolate.RegularGridInterpolator``),
with an error of at most h²/8·max|∂²u| per axis of spacing h. (SciPy's spline methods there solve
their fit iteratively to about 1e-6, too loose for a reference, so they are not offered.) Files are
read as plain arrays: ``numpy.load(allow_pickle=False)`` and h5py never unpickle objects.
"""

import zipfile
from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np
from scipy.interpolate import RegularGridInterpolator

SUFFIXES = (".npz", ".h5", ".hdf5")  # anything but .npz is read as HDF5


class GridReference:
    """``reference(coordinates) -> {field: values}``, interpolated from the file's grid."""

    def __init__(self, path: str | Path, variables: list[str], fields: list[str]):
        self.path, self.variables = Path(path), list(variables)
        arrays = _read(self.path, variables + fields)
        self.axes = {}
        for v in variables:
            axis = arrays[v]
            if axis.ndim != 1 or len(axis) < 2 or not np.all(np.diff(axis) > 0) or not np.all(np.isfinite(axis)):
                raise ValueError(f"array {v!r} must be a strictly increasing 1-D axis of at least 2 finite values")
            self.axes[v] = axis
        shape = tuple(len(self.axes[v]) for v in variables)
        self.interpolators = {}
        for f in fields:
            if arrays[f].shape != shape:
                raise ValueError(f"array {f!r} has shape {arrays[f].shape}; expected {shape}, one dimension per "
                                 f"variable in the order {', '.join(variables)}")
            if not np.all(np.isfinite(arrays[f])):
                raise ValueError(f"array {f!r} holds NaN or infinite values")
            self.interpolators[f] = RegularGridInterpolator(tuple(self.axes.values()), arrays[f])

    def outside(self, axes: Mapping[str, np.ndarray]) -> str | None:
        """The first variable along which ``axes`` reach beyond the file's grid, or None."""
        for v, axis in self.axes.items():
            if np.min(axes[v]) < axis[0] or np.max(axes[v]) > axis[-1]:
                return v
        return None

    def __call__(self, coordinates: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        arrays = np.broadcast_arrays(*(np.asarray(coordinates[v], dtype=np.float64) for v in self.variables))
        points = np.stack([a.ravel() for a in arrays], axis=1)
        return {f: interpolate(points).reshape(arrays[0].shape) for f, interpolate in self.interpolators.items()}


def _read(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    arrays = read_arrays(path)
    missing = [k for k in names if k not in arrays]
    if missing:
        raise ValueError(f"{path.name} has no array {missing[0]!r}; it needs one per variable and field "
                         f"({', '.join(names)})")
    return {k: arrays[k] for k in names}


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every numeric array of an ``.npz`` file, or every dataset at the root of an HDF5 file, as
    float64 by name; a ValueError naming the file when it cannot be read so."""
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return {k: np.asarray(data[k], dtype=np.float64) for k in data.files}
        with h5py.File(path, "r") as h5:
            return {k: np.asarray(h5[k][()], dtype=np.float64) for k in h5 if isinstance(h5[k], h5py.Dataset)}
    # An empty .npz raises EOFError, a corrupt one zipfile.BadZipFile, a dangling HDF5 link KeyError.
    except (EOFError, KeyError, OSError, TypeError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"cannot read {path.name!r} as a {path.suffix} file of numeric arrays ({error})") from None
