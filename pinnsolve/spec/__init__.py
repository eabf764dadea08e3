"""YAML spec -> :class:`RunSpec`: every field checked, every error naming its field path.

This layer only translates a YAML document into the Python API (Problem, conditions, training
options); it holds no solver logic. :mod:`~pinnsolve.spec.reader` reads the file,
:mod:`~pinnsolve.spec.problem` and :mod:`~pinnsolve.spec.solver` translate its sections with the
checks of :mod:`~pinnsolve.spec.values`. Their helpers keep a leading underscore: the public
surface is what this module exports. See docs/yaml-reference.md for every key.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pinnsolve.errors import SpecError
from pinnsolve.objective import trainable
from pinnsolve.polish import check_polish
from pinnsolve.problem import Problem
from pinnsolve.solve import build_model
from pinnsolve.spec.problem import FieldExpression, _condition, _domain, _fields, _params, _residuals, _Symbols
from pinnsolve.spec.reference import _reference
from pinnsolve.spec.observations import _is_data, _observations
from pinnsolve.spec.reader import _Loader, _key_lines, _line_of, _read_yaml
from pinnsolve.spec.solver import _evaluation, _network, _optimizer, _output, _training, _weighting
from pinnsolve.spec.values import _bool, _check_nesting, _flatten, _list, _mapping, _set, _string
from pinnsolve.config import TrainingConfig
from pinnsolve.weighting import Weighting

TOP_LEVEL = ("name", "description", "variables", "geometry", "fields", "params", "pde", "conditions", "reference",
             "network", "optimizer", "weighting", "training", "evaluation", "output")


class SpecErrors(SpecError):
    """Several independent mistakes in one spec: ``errors``, in file order once lines are known.
    It reads as the first one (path, message, line); printed, one line each."""

    def __init__(self, errors: list[SpecError]):
        first = errors[0]
        super().__init__(first.path, first.message, first.line, first.column)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class _Errors:
    """Collects the SpecErrors of independent checks."""

    def __init__(self):
        self.found: list[SpecError] = []

    def check(self, build, fallback: Any = None) -> Any:
        try:
            return build()
        except SpecErrors as errors:
            self.found.extend(errors.errors)
        except SpecError as error:
            self.found.append(error)
        return fallback

    def raise_found(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise SpecErrors(self.found)


@dataclass
class RunSpec:
    """A validated run: the problem plus how to solve it and where to write the result."""

    problem: Problem
    network: dict
    optimizer: dict
    weighting: Weighting
    training: TrainingConfig
    axes: dict[str, np.ndarray]
    output_dir: Path
    plots: bool
    tensorboard: bool  # also log the history for TensorBoard, in output_dir/tensorboard
    text: str  # the resolved spec as YAML, stored with the result


def load_spec(path: str | Path, overrides: Mapping[str, Any] | None = None) -> RunSpec:
    """Read and validate a YAML spec file. ``overrides`` maps dotted paths
    (``"training.iterations"``) to values that replace the file's, as the command line does."""
    path = Path(path)
    document, node = _read_yaml(path)
    try:
        return build_spec(document, overrides, default_name=path.stem, folder=path.parent)
    except SpecError as error:
        lines = _key_lines(node)
        for each in getattr(error, "errors", [error]):
            if not any(each.path == key or each.path.startswith(f"{key}.") for key in overrides or {}):
                each.line = _line_of(each.path, lines)
        if isinstance(error, SpecErrors):  # in file order (overrides, without a line, last)
            error.errors.sort(key=lambda each: (each.line is None, each.line or 0))
            raise SpecErrors(error.errors) from None
        raise


def build_spec(document: Any, overrides: Mapping[str, Any] | None = None, default_name: str = "problem",
               folder: str | Path = ".") -> RunSpec:
    """Validate an already parsed document (a dict as YAML gives it). Relative file names in it (a
    reference data file) are taken relative to ``folder``: the spec file's folder."""
    shaped = isinstance(document, Mapping) and "geometry" in document  # then intervals are optional
    spec = _mapping(document, "", TOP_LEVEL, required=("fields", "pde") if shaped else ("variables", "fields", "pde"))
    _check_nesting(spec, "")
    spec = copy.deepcopy(spec)
    for dotted, value in (overrides or {}).items():
        _check_nesting(value, dotted)
        _set(spec, dotted, value)
    _mapping(spec, "", TOP_LEVEL)  # an override may add a top-level key, which nothing below would look at

    # Sections that do not depend on each other are all checked, so that one run reports every
    # independent mistake; a section others build on (the variables, fields, parameters) stops it.
    errors = _Errors()
    name = errors.check(lambda: _string(spec.get("name", default_name), "name"))
    if "description" in spec:
        errors.check(lambda: _string(spec["description"], "description"))
    domain = _domain(spec.get("variables", {}), spec.get("geometry"))
    fields = _fields(spec["fields"], domain)
    params = _params(spec.get("params", {}), domain, fields)
    residuals = errors.check(lambda: _residuals(spec["pde"], _Symbols(fields, domain.variables, params)))
    reference, truth = errors.check(lambda: _reference(spec["reference"], domain, fields, params, Path(folder))
                                    if spec.get("reference") is not None else (None, {}), (None, {}))
    entries = list(enumerate(_list(spec.get("conditions", []), "conditions")))
    conditions = [errors.check(lambda: _condition(c, f"conditions[{i}]", domain, fields, params))
                  for i, c in entries if not _is_data(c)]
    data, data_paths = errors.check(lambda: _observations([(i, c) for i, c in entries if _is_data(c)], domain, fields,
                                                          reference, Path(folder)), ([], []))
    optimizer = errors.check(lambda: _optimizer(spec.get("optimizer", {})))
    output = errors.check(lambda: _output(spec.get("output", {})), {})
    axes = errors.check(lambda: _evaluation(spec.get("evaluation", {}), domain, reference))
    errors.raise_found()  # the problem needs all of the above
    try:
        problem = Problem(domain, fields, residuals, conditions, params, reference, name=name, terms=data,
                          reference_params=truth)
    except SpecError as error:  # a data term's path is its entry in conditions
        if error.path.startswith("terms["):
            index, _, rest = error.path.removeprefix("terms[").partition("]")
            raise SpecError(data_paths[int(index)] + rest, error.message) from None
        raise

    training = errors.check(lambda: _training(spec.get("training", {}), problem))
    network = errors.check(lambda: _network(spec.get("network", {}), problem))
    weighting = errors.check(lambda: _weighting(spec.get("weighting", {}), problem))
    output_dir = errors.check(lambda: Path(_string(output.get("dir", f"runs/{name}"), "output.dir")))
    plots = errors.check(lambda: _bool(output.get("plots", True), "output.plots"))
    errors.raise_found()
    if training.polish.type != "lbfgs":  # the dense methods' size limit: known once the network is
        check_polish(training.polish, sum(p.numel() for p in trainable(build_model(problem, network), problem.params)))
    return RunSpec(
        problem=problem,
        network=network,
        optimizer=optimizer,
        weighting=weighting,
        training=training,
        axes=axes,
        output_dir=output_dir,
        plots=plots,
        tensorboard=output.get("tensorboard", False),
        text=yaml.safe_dump(spec, sort_keys=False),
    )


# Fields a resumed run may change: budgets, bookkeeping, gradient clipping (the usual remedy when a
# run diverged), and how derivatives are computed (the same numbers, by another route). Anything else would make the checkpoint's state belong to another run.
RESUMABLE = ("description", "training.iterations", "training.polish.iterations", "training.checkpoint_every",
             "training.clip_grad_norm", "training.device", "training.derivatives", "training.compile", "reference",
             "evaluation", "output")


def resume_conflict(saved: str, current: str) -> str | None:
    """The first field path where the resolved spec of a checkpointed run (``saved``) and the one
    to resume it with differ in a way that is not in ``RESUMABLE``; None when they agree."""
    before, after = _flatten(yaml.safe_load(saved)), _flatten(yaml.safe_load(current))
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path) and not any(path == k or path.startswith((f"{k}.", f"{k}[")) for k in RESUMABLE):
            return path
    return None


__all__ = ["RESUMABLE", "FieldExpression", "RunSpec", "SpecErrors", "_Loader", "build_spec", "load_spec", "resume_conflict"]
