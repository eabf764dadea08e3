"""The solver sections of a spec (network, optimizer, weighting, training, evaluation, output) -> options.

Every default is read from where it is defined (a dataclass field or a signature, see
:func:`~pinnsolve.spec.values._default`), and checks that the solver makes itself (optimizer options,
schedules, point-set and weight names) are delegated to it, so the spec cannot drift from the API.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from pinnsolve.causal import CausalWeighting
from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError, check_choice, describe
from pinnsolve.expressions import compile_expression
from pinnsolve.nets import ACTIVATIONS, INITS, NETWORKS
from pinnsolve.optim import OPTIMIZERS, optimizer_defaults
from pinnsolve.optim.schedules import SCHEDULES, build_schedule
from pinnsolve.problem import Problem
from pinnsolve.references import GridReference
from pinnsolve.sampling import SAMPLERS
from pinnsolve.solve import DEFAULT_NETWORK, DEFAULT_OPTIMIZER, default_axis_points
from pinnsolve.spec.values import _bool, _integer, _mapping, _number, _option, _string
from pinnsolve.tensorboard_log import tensorboard_available
from pinnsolve.config import DERIVATIVES, DTYPES, POLISH_TYPES, PRECISIONS, AdaptiveSampling, PolishConfig, TrainingConfig, check_training
from pinnsolve.train import EarlyStopping
from pinnsolve.weighting import WEIGHTINGS, Fixed, GradNormAnnealing, Weighting


def _network(value: Any, problem: Problem) -> dict:
    raw = _mapping(value, "network", ("type", "width", "depth", "blocks", "layers_per_block", "skip_init",
                                      "activation", "init", "periodic", "fourier_features",
                                      "output_transform"))
    kind = check_choice(raw.get("type", DEFAULT_NETWORK["type"]), "network.type", NETWORKS)
    # Options of some families only: another family would ignore them silently, so refuse them.
    only = {"depth": ("mlp",), "blocks": ("resnet", "adaresnet"), "layers_per_block": ("resnet", "adaresnet"),
            "skip_init": ("adaresnet",)}
    for key, types in only.items():
        if raw.get(key) is not None and kind not in types:
            hint = "; resnet and adaresnet take blocks and layers_per_block" if key == "depth" else ""
            raise SpecError(f"network.{key}", f"only for type{'s' * (len(types) > 1)} {', '.join(types)}{hint}")
    family = NETWORKS[kind]
    network = {"type": kind,
               "width": _integer(_option(raw, "width", family), "network.width", 1, 4096),
               "activation": check_choice(_option(raw, "activation", family), "network.activation", ACTIVATIONS),
               "init": check_choice(_option(raw, "init", family), "network.init", INITS)}
    for key in ("depth",) if kind == "mlp" else ("blocks", "layers_per_block"):
        network[key] = _integer(_option(raw, key, family), f"network.{key}", 1, 256)
    if kind == "adaresnet":
        network["skip_init"] = _number(_option(raw, "skip_init", family), "network.skip_init")
    if raw.get("fourier_features") is not None:
        path = "network.fourier_features"
        features = _mapping(raw["fourier_features"], path, ("count", "scale"), required=("count", "scale"))
        network["fourier_features"] = {"count": _integer(features["count"], f"{path}.count", 1, 4096),
                                       "scale": _number(features["scale"], f"{path}.scale", positive=True)}
    if raw.get("periodic") is not None:
        harmonics = _mapping(raw["periodic"], "network.periodic")
        for variable, count in harmonics.items():
            check_choice(variable, "network.periodic", problem.domain.variables)
        network["periodic"] = {v: _integer(k, f"network.periodic.{v}", 1, 256) for v, k in harmonics.items()}
    if raw.get("output_transform") is not None:
        transforms = _mapping(raw["output_transform"], "network.output_transform")
        symbols = problem.fields + problem.domain.variables + list(problem.params)
        for field, text in transforms.items():
            check_choice(field, "network.output_transform", problem.fields)
            compile_expression(text, symbols, f"network.output_transform.{field}")
        network["output_transform"] = {f: str(text) for f, text in transforms.items()}
    return network


def _optimizer(value: Any) -> dict:
    raw = _mapping(value, "optimizer")
    kind = check_choice(raw.get("type", DEFAULT_OPTIMIZER["type"]), "optimizer.type", OPTIMIZERS)
    options = {"type": kind, "lr": _number(raw.get("lr", DEFAULT_OPTIMIZER["lr"]), "optimizer.lr", positive=True)}
    accepted = optimizer_defaults(kind)
    for key, option in raw.items():
        if key in ("type", "lr"):
            continue
        if key not in accepted:
            raise SpecError(f"optimizer.{key}", f"unknown option for {kind}; expected one of: {', '.join(accepted)}")
        default = accepted[key]
        # torch indexes betas[1] before checking the length: a short list would fail with IndexError
        if isinstance(default, tuple) and not (isinstance(option, list) and len(option) == len(default)):
            got = f"{len(option)}" if isinstance(option, list) else describe(option)
            raise SpecError(f"optimizer.{key}", f"expected a list of {len(default)} numbers for {kind}, got {got}")
        if isinstance(option, list):
            options[key] = tuple(_number(v, f"optimizer.{key}[{i}]") for i, v in enumerate(option))
        elif isinstance(option, bool):
            options[key] = option
        else:
            options[key] = _number(option, f"optimizer.{key}")
    try:  # let the optimizer itself check its options, then report its complaint against the field
        OPTIMIZERS[kind]([torch.zeros(1, requires_grad=True)], **{k: v for k, v in options.items() if k != "type"})
    except (TypeError, ValueError) as error:
        # torch names the option in words ("Invalid beta parameter", "Invalid epsilon value")
        named = [k for k in options if k != "type" and k.rstrip("s").replace("_", " ") in str(error).lower().replace("_", " ")]
        raise SpecError(f"optimizer.{named[0]}" if named else "optimizer", f"{kind}: {error}") from None
    return options


def _weighting(value: Any, problem: Problem) -> Weighting:
    options = {"fixed": ("weights",), "relobralo": ("alpha", "temperature", "rho", "seed"),
               "gradnorm": ("alpha", "every", "mode", "anchors")}
    raw = _mapping(value, "weighting", ("type",) + tuple(dict.fromkeys(k for keys in options.values() for k in keys)))
    kind = check_choice(raw.get("type", "fixed"), "weighting.type", WEIGHTINGS)
    for key in raw:  # an option of another type would be ignored silently: refuse it
        types = [t for t, keys in options.items() if key in keys]
        if types and kind not in types:
            raise SpecError(f"weighting.{key}", f"only for type{'s' * (len(types) > 1)} {', '.join(types)}")
    if kind == "fixed":
        weights = _mapping(raw.get("weights", {}), "weighting.weights")
        for name, weight in weights.items():
            _number(weight, f"weighting.weights.{name}", non_negative=True)
        fixed = Fixed({k: float(v) for k, v in weights.items()})
        fixed.check_terms(problem.term_names)
        return fixed
    checked: dict[str, Any] = {}
    for key in ("alpha", "rho"):
        if key in raw:
            checked[key] = _number(raw[key], f"weighting.{key}")
            if not 0 <= checked[key] <= 1:
                raise SpecError(f"weighting.{key}", f"must lie in [0, 1], got {raw[key]}")
    if "temperature" in raw:
        checked["temperature"] = _number(raw["temperature"], "weighting.temperature", positive=True)
    if "seed" in raw:
        checked["seed"] = _integer(raw["seed"], "weighting.seed", 0, 2**32 - 1)
    if "every" in raw:
        checked["every"] = _integer(raw["every"], "weighting.every", 1, 10**9)
    if "mode" in raw:
        checked["mode"] = check_choice(raw["mode"], "weighting.mode", GradNormAnnealing.MODES)
    if "anchors" in raw:
        if checked.get("mode") != "mean":
            raise SpecError("weighting.anchors", "only mode 'mean' anchors on terms; add mode: mean")
        anchors = raw["anchors"] if isinstance(raw["anchors"], list) else [raw["anchors"]]
        checked["anchors"] = [check_choice(a, f"weighting.anchors[{i}]",
                                           [n for n in problem.term_names if n not in problem.residuals])
                              for i, a in enumerate(anchors)]
        if not anchors:
            raise SpecError("weighting.anchors", "name at least one term")
    if kind == "gradnorm":
        checked["residual_terms"] = list(problem.residuals)
    return WEIGHTINGS[kind](**checked)


def _points(value: Any, path: str) -> dict[str, int]:
    """Point counts by point-set name; the names are checked by the trainer's own check_training."""
    points = _mapping(value, path)
    for name, count in points.items():
        _integer(count, f"{path}.{name}", 1, 10_000_000)
    return dict(points)


def _schedule(value: Any, iterations: int) -> dict:
    schedule = _mapping(value, "training.schedule", ("type", "factor", "patience"), required=("type",))
    check_choice(schedule["type"], "training.schedule.type", SCHEDULES)
    for key in ("factor", "patience"):
        if key in schedule:
            _number(schedule[key], f"training.schedule.{key}")
    try:  # the schedule checks its own options; report its complaint against the field
        build_schedule(schedule["type"], torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), iterations,
                       **{k: v for k, v in schedule.items() if k != "type"})
    except ValueError as error:
        raise SpecError("training.schedule", str(error)) from None
    return schedule


def _training(value: Any, problem: Problem) -> TrainingConfig:
    if isinstance(value, dict) and "lbfgs" in value:
        raise SpecError("training.lbfgs", "renamed to training.polish, with the same options (type: lbfgs is its default)")
    raw = _mapping(value, "training", ("iterations", "points", "batch_size", "sampler", "resample_every", "adaptive", "causal",
                                       "seed", "log_every", "schedule", "clip_grad_norm", "early_stopping", "polish",
                                       "checkpoint_every", "device", "dtype", "derivatives", "compile", "precision"))
    iterations = _integer(_option(raw, "iterations", TrainingConfig), "training.iterations", 0, 10**9)
    schedule = _schedule(raw["schedule"], iterations) if raw.get("schedule") is not None else None
    stopping = None
    if raw.get("early_stopping") is not None:
        path = "training.early_stopping"
        given = _mapping(raw["early_stopping"], path, ("patience", "min_delta"))
        stopping = {"patience": _integer(_option(given, "patience", EarlyStopping), f"{path}.patience", 1, 10**9),
                    "min_delta": _number(_option(given, "min_delta", EarlyStopping), f"{path}.min_delta",
                                         non_negative=True)}
    adaptive = None
    if raw.get("adaptive") is not None:
        given = _mapping(raw["adaptive"], "training.adaptive", ("k", "c", "candidates"))
        adaptive = AdaptiveSampling(
            k=_number(_option(given, "k", AdaptiveSampling), "training.adaptive.k", non_negative=True),
            c=_number(_option(given, "c", AdaptiveSampling), "training.adaptive.c", non_negative=True),
            candidates=_integer(_option(given, "candidates", AdaptiveSampling), "training.adaptive.candidates",
                                1, 10_000_000))
    causal = None
    if raw.get("causal") is not None:
        given = _mapping(raw["causal"], "training.causal", ("epsilon", "bins", "variable"))
        causal = CausalWeighting(
            epsilon=_number(_option(given, "epsilon", CausalWeighting), "training.causal.epsilon", positive=True),
            bins=_integer(_option(given, "bins", CausalWeighting), "training.causal.bins", 2, 100_000),
            variable=_string(_option(given, "variable", CausalWeighting), "training.causal.variable"))
    device = _string(_option(raw, "device", TrainingConfig), "training.device")
    if device.split(":")[0] not in ("cpu", "cuda"):
        raise SpecError("training.device", f"expected 'cpu' or 'cuda' (optionally 'cuda:N'), got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SpecError("training.device", "CUDA is not available on this machine; use 'cpu'")
    config = TrainingConfig(
        iterations=iterations,
        points=_points(_option(raw, "points", TrainingConfig), "training.points"),
        batch_size=_points(_option(raw, "batch_size", TrainingConfig), "training.batch_size"),
        sampler=check_choice(_option(raw, "sampler", TrainingConfig), "training.sampler", SAMPLERS),
        resample_every=_integer(_option(raw, "resample_every", TrainingConfig), "training.resample_every", 0, 10**9),
        adaptive=adaptive,
        causal=causal,
        seed=_integer(_option(raw, "seed", TrainingConfig), "training.seed", 0, 2**32 - 1),
        log_every=_integer(_option(raw, "log_every", TrainingConfig), "training.log_every", 1, 10**9),
        schedule=schedule,
        clip_grad_norm=_number(_option(raw, "clip_grad_norm", TrainingConfig), "training.clip_grad_norm",
                               non_negative=True),
        early_stopping=stopping,
        polish=_polish(raw.get("polish", {})),
        checkpoint_every=_integer(_option(raw, "checkpoint_every", TrainingConfig), "training.checkpoint_every",
                                  0, 10**9),
        device=device,
        dtype=check_choice(_option(raw, "dtype", TrainingConfig), "training.dtype", DTYPES),
        derivatives=check_choice(_option(raw, "derivatives", TrainingConfig), "training.derivatives", DERIVATIVES),
        compile=_bool(_option(raw, "compile", TrainingConfig), "training.compile"),
        precision=check_choice(_option(raw, "precision", TrainingConfig), "training.precision", PRECISIONS),
    )
    check_training(config, problem)  # names of point sets and variables: the trainer's own check
    return config


def _polish(value: Any) -> PolishConfig:
    path = "training.polish"
    if isinstance(value, dict) and "batch_size" in value:
        raise SpecError(f"{path}.batch_size", "the polish needs the whole point sets (its line searches compare losses "
                                              "of one objective): remove it; training.batch_size batches the first phase")
    raw = _mapping(value, path, ("type", "iterations", "dtype", "history", "damping", "points", "resample_every"))
    kind = check_choice(_option(raw, "type", PolishConfig), f"{path}.type", POLISH_TYPES)
    for key, types in (("history", ("lbfgs",)), ("damping", ("lm", "natural_gradient"))):
        if raw.get(key) is not None and kind not in types:
            raise SpecError(f"{path}.{key}", f"only type {' or '.join(types)} takes it; remove it for type {kind}")
    damping = raw.get("damping")
    return PolishConfig(
        type=kind,
        iterations=_integer(_option(raw, "iterations", PolishConfig), f"{path}.iterations", 0, 10**9),
        dtype=check_choice(_option(raw, "dtype", PolishConfig), f"{path}.dtype", ("auto",) + tuple(DTYPES)),
        history=_integer(_option(raw, "history", PolishConfig), f"{path}.history", 1, 1000),
        damping=None if damping is None else _number(damping, f"{path}.damping", positive=True),
        points=_points(_option(raw, "points", PolishConfig), f"{path}.points"),
        resample_every=_integer(_option(raw, "resample_every", PolishConfig), f"{path}.resample_every", 0, 10**9))


def _evaluation(value: Any, domain: Domain, reference: Callable | None = None) -> dict[str, np.ndarray]:
    """``grid: {x: 256, t: [0, 0.99, 100]}``: a count spans the variable's interval; [start, stop, count]
    gives an explicit range. Variables not named get the reference file's axis when the reference
    is a file (no interpolation there), else the default grid's axis (about 20,000 points in all:
    141 per axis in 2-D)."""
    raw = _mapping(value, "evaluation", ("grid",))
    grid = _mapping(raw.get("grid", {}), "evaluation.grid")
    for variable in grid:
        check_choice(variable, "evaluation.grid", domain.variables)
    data = reference if isinstance(reference, GridReference) else None
    default = default_axis_points(domain.dim)
    axes = {}
    for variable, (lo, hi) in domain.bounds.items():
        path = f"evaluation.grid.{variable}"
        entry = grid.get(variable, default)
        if isinstance(entry, list):
            if len(entry) != 3:
                raise SpecError(path, "expected a count or [start, stop, count]")
            start, stop = _number(entry[0], f"{path}[0]"), _number(entry[1], f"{path}[1]")
            count = _integer(entry[2], f"{path}[2]", 1, 100_000)
            if not lo <= start <= stop <= hi:
                raise SpecError(path, f"the range must lie inside [{lo:g}, {hi:g}] with start <= stop")
            axes[variable] = np.linspace(start, stop, count)
        elif data is not None and variable not in grid:
            axis = data.axes[variable]
            axes[variable] = axis[(axis >= lo) & (axis <= hi)]
            if len(axes[variable]) < 2:
                raise SpecError(path, f"the reference file's {variable} axis has fewer than 2 points inside "
                                      f"[{lo:g}, {hi:g}]; give a count or [start, stop, count]")
        else:
            axes[variable] = np.linspace(lo, hi, _integer(entry, path, 2, 100_000))
    outside = data.outside(axes) if data is not None else None
    if outside:
        first, last = data.axes[outside][[0, -1]]
        raise SpecError(f"evaluation.grid.{outside}", f"reaches outside the reference file's grid [{first:g}, {last:g}]; "
                                                      "give [start, stop, count] inside it, or leave it out")
    return axes


def _output(value: Any) -> dict:
    output = _mapping(value, "output", ("dir", "plots", "tensorboard"))
    if _bool(output.get("tensorboard", False), "output.tensorboard") and not tensorboard_available():
        raise SpecError("output.tensorboard", "needs the tensorboard package: pip install tensorboard (or set false)")
    return output
