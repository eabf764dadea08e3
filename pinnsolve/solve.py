"""``solve``: train a network on a problem and return a :class:`~pinnsolve.results.Result`.

This is the whole pipeline behind ``pinnsolve run``, for users who build problems in Python.
"""

import datetime
import platform
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from pinnsolve import __version__
from pinnsolve.checkpoint import load_checkpoint
from pinnsolve.config import DTYPES, TrainingConfig
from pinnsolve.distributed import Group
from pinnsolve.nets import build_network
from pinnsolve.objective import move, trainable
from pinnsolve.optim import build_optimizer
from pinnsolve.problem import Problem
from pinnsolve.results import Result, relative_l2
from pinnsolve.train import RunContext, Trainer, TrainingStopped
from pinnsolve.weighting import Weighting

DEFAULT_NETWORK = {"type": "mlp"}  # each family has its own defaults for the other options
DEFAULT_OPTIMIZER = {"type": "adan", "lr": 1e-3}
GRID_POINTS = 20_000  # default evaluation grid: about this many points, evenly per variable


def default_axis_points(dim: int) -> int:
    return max(2, round(GRID_POINTS ** (1 / dim)))


def default_axes(problem: Problem) -> dict[str, np.ndarray]:
    per_axis = default_axis_points(problem.domain.dim)
    return {v: np.linspace(lo, hi, per_axis) for v, (lo, hi) in problem.domain.bounds.items()}


def build_model(problem: Problem, options: Mapping | None = None) -> torch.nn.Module:
    """The network family and options by name (``{"type": "mlp", "width": 32, ...}``), with an
    optional ``output_transform`` (hard constraints, see :mod:`pinnsolve.nets.transform`) and
    ``periodic`` given by variable name (``{"x": 4}``: see :mod:`pinnsolve.nets.features`)."""
    config = DEFAULT_NETWORK | dict(options or {}) | {
        "lower": problem.domain.lower.tolist(), "upper": problem.domain.upper.tolist(), "outputs": len(problem.fields)}
    if isinstance(config.get("periodic"), Mapping):  # harmonics by variable name -> per input
        unknown = set(config["periodic"]) - set(problem.domain.variables)
        if unknown:
            raise ValueError(f"periodic: no variable named {sorted(unknown)[0]!r}; variables are "
                             f"{', '.join(problem.domain.variables)}")
        config["periodic"] = [config["periodic"].get(v, 0) for v in problem.domain.variables]
    if config.get("output_transform"):
        config |= {"fields": problem.fields, "variables": problem.domain.variables, "params": problem.params}
    return build_network(config)


def solve(problem: Problem, network: torch.nn.Module | Mapping | None = None,
          optimizer: Mapping | Callable[..., torch.optim.Optimizer] | None = None,
          weighting: Weighting | None = None, training: TrainingConfig | None = None,
          axes: Mapping[str, np.ndarray] | None = None, spec: str = "",
          progress: Callable[[int, int, Mapping[str, float]], None] | None = None,
          checkpoint: str | Path | None = None, resume: bool = False, stop: threading.Event | None = None,
          group: Group | None = None, init_from: str | Path | None = None) -> Result:
    """Train and evaluate.

    ``network``: a module mapping (n, d) points to (n, fields) outputs, or options for
    :func:`build_model`. ``optimizer``: ``{"type": "adan", "lr": 1e-3, ...}`` or a function
    ``params -> torch.optim.Optimizer``. ``axes``: evaluation grid per variable (default: an even
    grid of about 20,000 points over the domain's bounding box; where a geometry leaves points of it
    outside the domain, their values are NaN and ``Result.mask`` says which are inside). The seed in ``training`` fixes the network initialisation and the
    collocation points.

    ``checkpoint``: a file to save the run's state to every ``training.checkpoint_every`` steps and
    at the end; with ``resume``, training continues from it (same problem and options: the result
    is then bit for bit that of an uninterrupted run on the CPU). Setting ``stop`` ends training at
    the next step boundary. A run that stops early (divergence, ``stop``) raises
    :class:`~pinnsolve.train.TrainingStopped` with the partial result in ``.result``, its
    ``attrs["status"]`` saying why; a complete run's status is ``"complete"``.

    ``init_from``: a result file whose trained network (the same architecture) this run starts
    from, instead of a fresh initialisation (a warm start: parameter continuation, fine-tuning).

    ``group``: the processes training together (:mod:`pinnsolve.distributed`); by default the one
    ``torchrun`` started this process in, else this process alone. Every process trains the same
    network; only the group's leader writes the checkpoint, reports ``progress`` and logs the
    error against the reference during training.
    """
    training = training or TrainingConfig()
    group = group or Group.from_environment(training.device)
    torch.manual_seed(training.seed)
    model = network if isinstance(network, torch.nn.Module) else build_model(problem, network)
    move(model, problem.params, training.device, DTYPES[training.dtype])
    if init_from is not None:  # after the move: the saved weights keep the digits the run's precision holds
        warm_start(model, init_from)
    parameters = trainable(model, problem.params)
    if callable(optimizer):
        opt = optimizer(parameters)
    else:
        options = dict(DEFAULT_OPTIMIZER | dict(optimizer or {}))
        opt = build_optimizer(options.pop("type"), parameters, **options)

    axes = axes or default_axes(problem)
    if set(axes) != set(problem.domain.variables):
        raise ValueError(f"axes must give values for exactly the variables {', '.join(problem.domain.variables)}")
    axes = {v: np.asarray(axes[v], dtype=np.float64) for v in problem.domain.variables}
    grid = problem.domain.grid(axes)
    shape = tuple(len(a) for a in axes.values())
    inside = problem.domain.inside(grid).reshape(shape)
    mask = None if inside.all() else inside  # a geometry's bounding box: NaN outside the domain

    def on_domain(values) -> np.ndarray:
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), shape).copy()
        if mask is not None:
            values[~mask] = np.nan
        return values

    reference = None
    if problem.reference is not None:
        with np.errstate(all="ignore"):  # a formula may be undefined outside the domain (in a hole)
            values = problem.reference({v: grid[:, i].reshape(shape) for i, v in enumerate(axes)})
        missing = [name for name in problem.fields if name not in values]
        if missing:
            raise ValueError(f"the reference gives no values for {', '.join(missing)}; it must cover every field")
        reference = {name: on_domain(values[name]) for name in problem.fields}

    def predict() -> dict[str, np.ndarray]:
        parameter = next(model.parameters())
        points = torch.tensor(grid, dtype=parameter.dtype, device=parameter.device)
        with torch.no_grad():
            outputs = torch.cat([model(chunk) for chunk in points.split(65536)]).double().cpu().numpy()
        return {name: on_domain(outputs[:, i].reshape(shape)) for i, name in enumerate(problem.fields)}

    def monitor() -> dict[str, float]:
        prediction = predict()
        return {f"rel_l2/{name}": relative_l2(prediction[name], reference[name], mask) for name in problem.fields}

    context = RunContext(monitor if reference is not None and group.leader else None, progress if group.leader else None,
                         Path(checkpoint) if checkpoint is not None else None, spec, stop)
    trainer = Trainer(problem, model, opt, training, weighting, context, group)
    if resume:
        if checkpoint is None:
            raise ValueError("resume needs the checkpoint file to resume from")
        trainer.load_state_dict(load_checkpoint(checkpoint)["trainer"])
    started = time.perf_counter()
    stopped: TrainingStopped | None = None
    try:
        trainer.run()
    except TrainingStopped as error:
        stopped = error
    wall_time = time.perf_counter() - started

    result = Result(
        name=problem.name, spec=spec, axes=axes, solution=predict(), reference=reference, mask=mask,
        history=trainer.history.arrays(), model_config=dict(getattr(model, "config", {})),
        model_state={k: v.detach().double().cpu().numpy() for k, v in model.state_dict().items()},
        params=problem.params.numbers(trainable_only=True), reference_params=dict(problem.reference_params),
        attrs={"pinnsolve_version": __version__, "seed": training.seed, "device": training.device,
               "dtype": training.dtype, "processes": group.size, "init_from": str(init_from or ""), "model_dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
               "wall_time": wall_time, "steps": trainer.step,
               "status": stopped.status if stopped else "complete", "stop_reason": str(stopped) if stopped else "",
               "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "torch_version": str(torch.__version__), "python_version": platform.python_version()},
    )
    if stopped is not None:
        stopped.result = result
        raise stopped
    return result


def warm_start(model: torch.nn.Module, path: str | Path) -> None:
    """Load the trained weights of the result file ``path`` into ``model``; a ValueError naming the
    first difference when the architectures differ."""
    from pinnsolve.results import load_result

    try:
        saved = load_result(path).model_state
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"{path}: not a pinnsolve result file ({error})") from None
    own = model.state_dict()
    for name in sorted(set(saved) | set(own)):
        if name not in own or name not in saved or tuple(own[name].shape) != saved[name].shape:
            have = tuple(own[name].shape) if name in own else "none"
            had = saved[name].shape if name in saved else "none"
            raise ValueError(f"{path} holds another network: {name} is {had} there and {have} here; "
                             "start from a result of the same architecture")
    model.load_state_dict({name: torch.as_tensor(values, dtype=own[name].dtype, device=own[name].device)
                           for name, values in saved.items()})
