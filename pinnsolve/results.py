"""The result of a run, and its one self-describing HDF5 file.

Layout (every array in float64)::

    /                  attrs: pinnsolve_version, problem, seed, device, dtype (first phase),
                       model_dtype (at the end), wall_time, steps, created, torch_version, python_version
    /spec              the resolved spec (YAML text), enough to rerun
    /grid/<variable>   evaluation grid axes
    /solution/<field>  prediction on the grid (attr ``axes``: variable order of the array's dimensions);
                       NaN at grid points outside the domain (a geometry inside its bounding box)
    /mask              1 where a grid point lies in the domain, 0 outside; only when some lie outside
    /reference/<field> reference on the grid, when the problem has one
    /error/<field>     pointwise prediction − reference
    /metrics/<field>   attrs rel_l2 (‖e‖₂/‖ref‖₂) and max_abs (max |e|)
    /history/...       step, time, phase (0 first, 1 polish), lr, precision (bits), total, loss/<term>, weight/<term>, rel_l2/<field>,
                       norm/<layer> (weight norms), skip/<block> (AdaResNet), one row per log
    /model             attr ``config`` (JSON, rebuilds the network) and one dataset per weight tensor
    /params            attrs: the trained value of each unknown parameter (when the problem has any)
    /reference_params  attrs: the true value of unknown parameters, when the problem states them

Files are written by :func:`pinnsolve.files.write_atomically`, so a crash at any moment leaves either
the old file or the new one, never a half-written one.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import torch

from pinnsolve.files import write_atomically
from pinnsolve.nets import build_network


@dataclass
class Result:
    name: str
    spec: str
    axes: dict[str, np.ndarray]
    solution: dict[str, np.ndarray]
    reference: dict[str, np.ndarray] | None
    history: dict[str, np.ndarray]
    model_config: dict
    model_state: dict[str, np.ndarray]
    params: dict[str, float] = field(default_factory=dict)  # trained values of the unknown parameters
    reference_params: dict[str, float] = field(default_factory=dict)  # their true values, when known
    attrs: dict = field(default_factory=dict)
    mask: np.ndarray | None = None  # grid points inside the domain, where a geometry leaves some out

    @property
    def variables(self) -> list[str]:
        return list(self.axes)

    @property
    def error(self) -> dict[str, np.ndarray] | None:
        if self.reference is None:
            return None
        return {name: self.solution[name] - self.reference[name] for name in self.solution}

    @property
    def metrics(self) -> dict[str, dict[str, float]]:
        """Per field: rel_l2 = ‖u − u_ref‖₂ / ‖u_ref‖₂ and max_abs = max |u − u_ref| on the grid
        points in the domain."""
        if self.reference is None:
            return {}
        return {name: {"rel_l2": relative_l2(self.solution[name], self.reference[name], self.mask),
                       "max_abs": float(np.max(np.abs(e if self.mask is None else e[self.mask])))}
                for name, e in self.error.items()}

    @property
    def param_errors(self) -> dict[str, float]:
        """Per unknown parameter with a known true value θ: the relative error |θ̂ − θ| / |θ|."""
        return {name: abs(self.params[name] - truth) / abs(truth)
                for name, truth in self.reference_params.items() if name in self.params and truth != 0}

    def predict(self, coordinates: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Evaluate the trained network at points given per variable (arrays broadcast together)."""
        missing = [v for v in self.variables if v not in coordinates]
        if missing:
            raise ValueError(f"predict needs coordinates for {', '.join(missing)}")
        arrays = np.broadcast_arrays(*(np.asarray(coordinates[v], dtype=np.float64) for v in self.variables))
        net = self.network()
        points = torch.from_numpy(np.stack([a.ravel() for a in arrays], axis=1)).to(next(net.parameters()).dtype)
        with torch.no_grad():
            outputs = net(points).double().numpy()
        return {name: outputs[:, i].reshape(arrays[0].shape) for i, name in enumerate(self.solution)}

    def network(self) -> torch.nn.Module:
        """The trained network, rebuilt from the stored architecture and weights, in the precision it
        was trained in (attr ``model_dtype``), so that it reproduces the stored solution."""
        if not self.model_config:
            raise ValueError("this result's network carries no config (a custom module): rebuild it yourself "
                             "and load Result.model_state into it")
        net = build_network(self.model_config).to(getattr(torch, self.attrs.get("model_dtype", "float64")))
        net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in self.model_state.items()})
        return net.eval()

    def save(self, path: str | Path) -> Path:
        def write(temporary: Path) -> None:
            with h5py.File(temporary, "w") as h5:
                self._write(h5)

        return write_atomically(path, write)

    def _write(self, h5: h5py.File) -> None:
        h5.attrs.update({k: v for k, v in self.attrs.items()})
        h5.attrs["problem"] = self.name
        h5["spec"] = self.spec
        for variable, axis in self.axes.items():
            h5[f"grid/{variable}"] = np.asarray(axis, dtype=np.float64)
        if self.mask is not None:
            h5.create_dataset("mask", data=self.mask.astype(np.uint8), compression="gzip").attrs["axes"] = ",".join(self.variables)
        groups = {"solution": self.solution, "reference": self.reference, "error": self.error}
        for group, arrays in groups.items():
            for name, values in (arrays or {}).items():
                dataset = h5.create_dataset(f"{group}/{name}", data=np.asarray(values, dtype=np.float64), compression="gzip")
                dataset.attrs["axes"] = ",".join(self.variables)
        for name, values in self.metrics.items():
            h5.require_group(f"metrics/{name}").attrs.update(values)
        h5.require_group("history")
        for key, values in self.history.items():
            h5[f"history/{key}"] = np.asarray(values, dtype=np.float64)
        model = h5.require_group("model")
        model.attrs["config"] = json.dumps(self.model_config)
        for key, values in self.model_state.items():
            model[key] = np.asarray(values, dtype=np.float64)
        for group, values in (("params", self.params), ("reference_params", self.reference_params)):
            if values:
                h5.require_group(group).attrs.update(values)


def relative_l2(prediction: np.ndarray, reference: np.ndarray, mask: np.ndarray | None = None) -> float:
    """‖prediction − reference‖₂ / ‖reference‖₂, over the points where ``mask`` holds (all by default)."""
    if mask is not None:
        prediction, reference = prediction[mask], reference[mask]
    return float(np.linalg.norm(prediction - reference) / np.linalg.norm(reference))


def load_result(path: str | Path) -> Result:
    """Read a result file written by :meth:`Result.save`."""
    with h5py.File(path, "r") as h5:
        axes = {v: h5[f"grid/{v}"][()] for v in h5["grid"]}
        order = h5["solution"][next(iter(h5["solution"]))].attrs["axes"].split(",")
        read = lambda group: {k: h5[f"{group}/{k}"][()] for k in h5[group]} if group in h5 else None  # noqa: E731
        history: dict[str, np.ndarray] = {}
        h5["history"].visititems(lambda key, item: history.__setitem__(key, item[()]) if isinstance(item, h5py.Dataset) else None)
        return Result(
            name=str(h5.attrs["problem"]),
            spec=h5["spec"][()].decode() if isinstance(h5["spec"][()], bytes) else str(h5["spec"][()]),
            axes={v: axes[v] for v in order},
            solution=read("solution"),
            reference=read("reference"),
            history=history,
            model_config=json.loads(h5["model"].attrs["config"]),
            model_state={k: h5[f"model/{k}"][()] for k in h5["model"]},
            params={k: float(v) for k, v in h5["params"].attrs.items()} if "params" in h5 else {},
            reference_params=({k: float(v) for k, v in h5["reference_params"].attrs.items()}
                              if "reference_params" in h5 else {}),
            attrs={k: v for k, v in h5.attrs.items() if k != "problem"},
            mask=h5["mask"][()].astype(bool) if "mask" in h5 else None,
        )
