"""YAML spec -> :class:`RunSpec`: every field checked, every error naming its field path.

This layer only translates a YAML document into the Python API (Problem, conditions, training
options); it holds no solver logic. YAML is read with a ``yaml.SafeLoader``, which builds plain data
and never constructs Python objects, and expressions are compiled by
:mod:`pinnsolve.expressions`, which never evaluates code. See docs/yaml-reference.md for every key.
"""

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from pinnsolve.derivatives import Fields, parse_name
from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError
from pinnsolve.expressions import Expression, SymbolTable, compile_expression
from pinnsolve.nets import ACTIVATIONS, INITS, NETWORKS
from pinnsolve.optim import OPTIMIZERS, optimizer_defaults
from pinnsolve.optim.schedules import SCHEDULES, build_schedule
from pinnsolve.problem import Condition, Dirichlet, Initial, Neumann, Periodic, Problem
from pinnsolve.references import GridReference, burgers_cole_hopf
from pinnsolve.references.grid_file import SUFFIXES
from pinnsolve.sampling import SAMPLERS
from pinnsolve.tensorboard_log import tensorboard_available
from pinnsolve.solve import default_axis_points
from pinnsolve.train import DTYPES, AdaptiveSampling, LBFGSConfig, TrainingConfig
from pinnsolve.weighting import WEIGHTINGS, Fixed, Weighting

TOP_LEVEL = ("name", "description", "variables", "fields", "params", "pde", "conditions", "reference",
             "network", "optimizer", "weighting", "training", "evaluation", "output")


# A spec is a few levels deep. Deeper documents are refused before the recursion of PyYAML's composer
# and constructor, of copy.deepcopy and of yaml.safe_dump can reach Python's recursion limit.
MAX_NESTING = 50


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false. Under YAML 1.1 rules the key ``on``
    of a boundary condition (and yes/no/off) would silently become a boolean.

    Every malformed input raises a YAMLError: PyYAML itself lets a few Python errors through."""

    _composing = _constructing = 0  # nesting of the recursive calls below

    def compose_node(self, parent, index):
        if self._composing >= MAX_NESTING:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_NESTING} levels deep",
                                              self.peek_event().start_mark)
        self._composing += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._composing -= 1

    def construct_object(self, node, deep=False):
        # Aliases can join nested collections into a longer chain than any one of them.
        if self._constructing >= MAX_NESTING:
            raise yaml.constructor.ConstructorError(None, None, f"nested more than {MAX_NESTING} levels deep",
                                                    node.start_mark)
        self._constructing += 1
        try:
            return super().construct_object(node, deep=deep)
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as error:
            # PyYAML's scalar constructors fail with plain errors: !!int "" (IndexError), !!timestamp ""
            # (AttributeError), !!timestamp 2001-13-45, an integer of 5000 digits (ValueError: beyond
            # Python's int-to-text limit).
            tag = node.tag.rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            shown = value if len(value) < 40 else value[:37] + "..."
            reason = str(error).split("; use sys.")[0]  # not the Python-side remedy of the digit limit
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {shown!r} as {tag} ({reason})",
                                                    node.start_mark) from None
        finally:
            self._constructing -= 1

    def scan_flow_scalar_non_spaces(self, double, start_mark):
        try:
            return super().scan_flow_scalar_non_spaces(double, start_mark)
        except (OverflowError, ValueError):  # chr() of an escape such as "\UFFFFFFFF"
            raise yaml.scanner.ScannerError("while scanning a double-quoted scalar", start_mark,
                                            "found an escape beyond the last Unicode character \\U0010FFFF",
                                            self.get_mark()) from None


def _unique_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """YAML requires the keys of a mapping to be unique; PyYAML would silently keep the last one."""
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, str):  # other keys are refused later; a list key is not even hashable
            if key in seen:
                raise yaml.constructor.ConstructorError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                        lambda loader, node: _unique_mapping(loader, node, deep=True))
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
# YAML 1.2 also reads 1e-3 (no dot) as a number; YAML 1.1 would leave it a string.
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                              list("-+0123456789"))


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
    try:
        text = path.read_text()
    except OSError as error:
        raise SpecError("", f"cannot read spec {str(path)!r}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SpecError("", f"the spec is not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    try:
        loader = _Loader(text)  # the reader already refuses unprintable characters here
        try:
            node = loader.get_single_node()
            document = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as error:  # a character YAML does not allow; it carries a position, not a mark
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        raise SpecError("", f"YAML syntax error: unacceptable character #x{error.character:04x}: {error.reason}",
                        line, column) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "invalid YAML"
        context = getattr(error, "context", None) or ""
        if context.startswith("found"):  # e.g. a duplicate anchor: the context says what, the problem only where
            problem = f"{context.split(';')[0]} ({problem})"
        raise SpecError("", f"YAML syntax error: {problem}", *((mark.line + 1, mark.column + 1) if mark else ())) from None
    try:
        return build_spec(document, overrides, default_name=path.stem, folder=path.parent)
    except SpecError as error:
        overridden = any(error.path == key or error.path.startswith(f"{key}.") for key in overrides or {})
        if not overridden:
            error.line = _line_of(error.path, _key_lines(node))
        raise


def _key_lines(root: yaml.Node | None) -> dict[str, int]:
    """The 1-based line of every field path in the YAML node tree (the key's line for a mapping
    entry, the item's line for a list entry). A node reached again through an alias is not walked
    again, so recursive or exponentially aliased documents cost only their size."""
    lines: dict[str, int] = {}
    seen: set[int] = set()
    pending = [("", root)]
    while pending:
        path, node = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    child = _join(path, key.value)
                    lines.setdefault(child, key.start_mark.line + 1)
                    pending.append((child, value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines.setdefault(f"{path}[{i}]", item.start_mark.line + 1)
                pending.append((f"{path}[{i}]", item))
    return lines


def _line_of(path: str, lines: Mapping[str, int]) -> int | None:
    """The line of ``path``, or of its nearest enclosing field (a missing key is reported at the
    line of the mapping it is missing from)."""
    while path:
        if path in lines:
            return lines[path]
        parent = _LAST_COMPONENT.sub("", path, count=1)
        if parent == path:  # a key with brackets in it: no enclosing field to fall back to
            return None
        path = parent
    return None


_LAST_COMPONENT = re.compile(r"(?:\.[^.\[\]]*|\[\d+\]|^[^.\[\]]*)$")  # ".key", "[3]", or the first key


def build_spec(document: Any, overrides: Mapping[str, Any] | None = None, default_name: str = "problem",
               folder: str | Path = ".") -> RunSpec:
    """Validate an already parsed document (a dict as YAML gives it). Relative file names in it (a
    reference data file) are taken relative to ``folder``: the spec file's folder."""
    spec = _mapping(document, "", TOP_LEVEL, required=("variables", "fields", "pde"))
    _check_nesting(spec, "")
    spec = copy.deepcopy(spec)
    for dotted, value in (overrides or {}).items():
        _check_nesting(value, dotted)
        _set(spec, dotted, value)
    _mapping(spec, "", TOP_LEVEL)  # an override may add a top-level key, which nothing below would look at

    name = _string(spec.get("name", default_name), "name")
    if "description" in spec:
        _string(spec["description"], "description")
    domain = _domain(spec["variables"])
    fields = _fields(spec["fields"])
    params = _params(spec.get("params", {}), domain, fields)
    symbols = _Symbols(fields, domain.variables, params)
    residuals = _residuals(spec["pde"], symbols, params)
    conditions = [_condition(c, f"conditions[{i}]", domain, fields, params)
                  for i, c in enumerate(_list(spec.get("conditions", []), "conditions"))]
    reference = (_reference(spec["reference"], domain, fields, params, Path(folder))
                 if spec.get("reference") is not None else None)
    problem = Problem(domain, fields, residuals, conditions, params, reference, name=name)

    training = _training(spec.get("training", {}), problem)
    output = _output(spec.get("output", {}))
    return RunSpec(
        problem=problem,
        network=_network(spec.get("network", {}), problem),
        optimizer=_optimizer(spec.get("optimizer", {})),
        weighting=_weighting(spec.get("weighting", {}), problem),
        training=training,
        axes=_evaluation(spec.get("evaluation", {}), domain, reference),
        output_dir=Path(_string(output.get("dir", f"runs/{name}"), "output.dir")),
        plots=_bool(output.get("plots", True), "output.plots"),
        tensorboard=output.get("tensorboard", False),
        text=yaml.safe_dump(spec, sort_keys=False),
    )


# Fields a resumed run may change: budgets, bookkeeping, and gradient clipping (the usual remedy
# when a run diverged). Anything else would make the checkpoint's state belong to another run.
RESUMABLE = ("description", "training.iterations", "training.lbfgs.iterations", "training.checkpoint_every",
             "training.clip_grad_norm", "training.device", "reference", "evaluation", "output")


def resume_conflict(saved: str, current: str) -> str | None:
    """The first field path where the resolved spec of a checkpointed run (``saved``) and the one
    to resume it with differ in a way that is not in ``RESUMABLE``; None when they agree."""
    before, after = _flatten(yaml.safe_load(saved)), _flatten(yaml.safe_load(current))
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path) and not any(path == k or path.startswith((f"{k}.", f"{k}[")) for k in RESUMABLE):
            return path
    return None


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, _join(path, str(key))).items()} or {path: {}}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flatten(item, f"{path}[{i}]").items()} or {path: []}
    return {path: value}


# -- the problem -------------------------------------------------------------------------------

def _domain(value: Any) -> Domain:
    variables = _mapping(value, "variables")
    for name, interval in variables.items():
        path = f"variables.{name}"
        if not isinstance(interval, list) or len(interval) != 2:
            raise SpecError(path, "expected an interval [min, max]")
        for i, bound in enumerate(interval):
            _number(bound, f"{path}[{i}]")
    return Domain(**{str(k): tuple(v) for k, v in variables.items()})


def _fields(value: Any) -> list[str]:
    fields = [value] if isinstance(value, str) else _list(value, "fields")
    if not fields:
        raise SpecError("fields", "declare at least one field, e.g. [u]")
    for i, f in enumerate(fields):
        _string(f, f"fields[{i}]")
    return fields


def _params(value: Any, domain: Domain, fields: list[str]) -> dict[str, float]:
    params = _mapping(value, "params")
    for name, number in params.items():
        path = f"params.{name}"
        if not str(name).isidentifier() or str(name).startswith("_"):
            raise SpecError(path, "a parameter name must be a plain identifier")
        if name in domain.variables or name in fields:
            raise SpecError(path, f"{name!r} is already a variable or field name")
        _number(number, path)
    return {str(k): float(v) for k, v in params.items()}


def _residuals(value: Any, symbols: list[str], params: dict[str, float]) -> dict[str, Callable]:
    """``pde``: one expression, a list of them (pde1, pde2, ...) or a mapping of named ones."""
    if isinstance(value, Mapping):
        items = [(str(k), v, f"pde.{k}") for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"pde{i + 1}", v, f"pde[{i}]") for i, v in enumerate(value)]
    else:
        items = [("pde", value, "pde")]
    if not items:
        raise SpecError("pde", "give at least one residual expression")
    return {name: FieldExpression(compile_expression(text, symbols, path), symbols.fields, symbols.variables)
            for name, text, path in items}


MAX_DERIVATIVE_ORDER = 8  # PDEs in use go to order 6 (phase-field crystal); a longer name is a typo


class _Symbols(SymbolTable):
    """What a PDE expression may read: variables, parameters, fields, and derivatives of the fields
    by the variables in any order (``u_xt``, ``u_xxxx``) up to ``MAX_DERIVATIVE_ORDER``. Lists the
    plain names; describes the rest."""

    def __init__(self, fields: list[str], variables: list[str], params: Mapping[str, float]):
        self.fields, self.variables = tuple(fields), tuple(variables)
        self.names = list(variables) + list(params) + list(fields)
        self.description = (f"a variable ({', '.join(variables)}), " + (f"a parameter ({', '.join(params)}), " if params else "")
                            + f"a field ({', '.join(fields)}) or a derivative such as {fields[0]}_{variables[0]} "
                            + f"(of order {MAX_DERIVATIVE_ORDER} at most)")

    def __contains__(self, name: object) -> bool:
        if name in self.names:
            return True
        parsed = parse_name(name, self.fields, self.variables) if isinstance(name, str) else None
        return parsed is not None and len(parsed[1]) <= MAX_DERIVATIVE_ORDER

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class FieldExpression:
    """A compiled expression as a residual or value callable ``g(f, p)``. Parameters are read from
    ``p`` at each call, so a trained parameter is seen at its current value; ``reads`` lists the
    fields and derivatives it reads."""

    def __init__(self, expression: Expression, fields: list[str], variables: list[str]):
        self.expression = expression
        self.reads = frozenset(name for name in expression.names
                               if parse_name(name, tuple(fields), tuple(variables)) is not None)

    def __call__(self, f: Fields, p: Mapping[str, Any]) -> Any:
        return self.expression(_Values(f, p))


class _Values(Mapping):
    """Names as expressions see them at run time: a parameter, else a field, derivative or coordinate."""

    def __init__(self, f, params: Mapping[str, Any]):
        self.f, self.params = f, params

    def __getitem__(self, name: str):
        return self.params[name] if name in self.params else self.f[name]

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)


CONDITIONS: dict[str, tuple[type[Condition], tuple[str, ...]]] = {
    "initial": (Initial, ("value", "variable", "order")),
    "dirichlet": (Dirichlet, ("on", "value")),
    "neumann": (Neumann, ("on", "value")),
    "periodic": (Periodic, ("variable", "derivatives")),
}


def _condition(value: Any, path: str, domain: Domain, fields: list[str], params: dict[str, float]) -> Condition:
    raw = _mapping(value, path, required=("type",))
    kind = _choice(raw["type"], f"{path}.type", CONDITIONS)
    cls, keys = CONDITIONS[kind]
    raw = _mapping(raw, path, ("type", "field", "name") + keys, required=("on",) if "on" in keys else ())
    if "field" in raw:
        field = _choice(raw["field"], f"{path}.field", fields)
    elif len(fields) == 1:
        field = fields[0]
    else:
        raise SpecError(f"{path}.field", f"missing: with several fields say which one ({', '.join(fields)})")
    options: dict[str, Any] = {"name": _string(raw["name"], f"{path}.name") if "name" in raw else None}
    if "value" in raw:
        expression = compile_expression(raw["value"], domain.variables + list(params), f"{path}.value")
        options["value"] = FieldExpression(expression, fields, domain.variables) if expression.names else expression({})
    if "on" in raw:
        sides = raw["on"] if isinstance(raw["on"], list) else [raw["on"]]
        for i, side in enumerate(sides):
            domain.side(_string(side, f"{path}.on"), f"{path}.on" + (f"[{i}]" if isinstance(raw["on"], list) else ""))
        options["on"] = sides
    if "variable" in raw:
        options["variable"] = _choice(raw["variable"], f"{path}.variable", domain.variables)
    elif kind in ("initial", "periodic"):
        default = "t" if kind == "initial" else "x"
        if default not in domain.variables:
            raise SpecError(f"{path}.variable", f"missing: there is no variable {default!r}; say which variable")
        options["variable"] = default
    if "order" in raw:
        options["order"] = _integer(raw["order"], f"{path}.order", 0, 1)
    if "derivatives" in raw:
        options["derivatives"] = _integer(raw["derivatives"], f"{path}.derivatives", 0, 2)
    return cls(field, **options)


def _reference(value: Any, domain: Domain, fields: list[str], params: dict[str, float], folder: Path) -> Callable:
    raw = _mapping(value, "reference", required=("type",))
    kind = _choice(raw["type"], "reference.type", ("expression", "burgers_cole_hopf", "file"))
    if kind == "file":
        raw = _mapping(raw, "reference", ("type", "path"), required=("path",))
        path = folder / _string(raw["path"], "reference.path")
        if path.suffix.lower() not in SUFFIXES:
            raise SpecError("reference.path", f"expected a {', '.join(SUFFIXES)} file, got {raw['path']!r}")
        if not path.is_file():
            raise SpecError("reference.path", f"no such file {raw['path']!r} (a relative path starts at the spec's folder)")
        try:
            reference = GridReference(path, domain.variables, fields)
        except ValueError as error:
            raise SpecError("reference.path", str(error)) from None
        value["path"] = str(path.resolve())  # the stored spec must find the file from anywhere
        return reference
    if kind == "burgers_cole_hopf":
        raw = _mapping(raw, "reference", ("type", "nu"))
        if "nu" in raw:
            nu = _number(raw["nu"], "reference.nu", positive=True)
        elif "nu" in params:
            nu = _number(params["nu"], "params.nu", positive=True)
        else:
            raise SpecError("reference.nu", "missing: give the viscosity, or declare params.nu")
        if sorted(domain.variables) != ["t", "x"] or domain.bounds["x"] != (-1.0, 1.0):
            raise SpecError("reference.type", "burgers_cole_hopf solves u(x,0) = -sin(pi*x) on the variables "
                                              "x in [-1, 1] and t; this domain differs")
        if len(fields) != 1:
            raise SpecError("reference.type", "burgers_cole_hopf gives one field; this problem has several")
        return lambda c: {fields[0]: burgers_cole_hopf(c["x"], c["t"], nu)}
    raw = _mapping(raw, "reference", ("type",) + tuple(fields), required=tuple(fields))
    expressions = {f: compile_expression(raw[f], domain.variables + list(params), f"reference.{f}") for f in fields}

    def analytic(coordinates: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        env = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in coordinates.items()} | params
        return {f: np.asarray(e(env), dtype=np.float64) for f, e in expressions.items()}

    return analytic


# -- how to solve it ---------------------------------------------------------------------------

def _network(value: Any, problem: Problem) -> dict:
    raw = _mapping(value, "network", ("type", "width", "depth", "blocks", "layers_per_block", "skip_init",
                                      "activation", "init", "fourier_features", "output_transform"))
    kind = _choice(raw.get("type", "mlp"), "network.type", NETWORKS)
    # Options of some families only: another family would ignore them silently, so refuse them.
    only = {"depth": ("mlp",), "blocks": ("resnet", "adaresnet"), "layers_per_block": ("resnet", "adaresnet"),
            "skip_init": ("adaresnet",)}
    for key, types in only.items():
        if key in raw and kind not in types:
            hint = "; resnet and adaresnet take blocks and layers_per_block" if key == "depth" else ""
            raise SpecError(f"network.{key}", f"only for type{'s' * (len(types) > 1)} {', '.join(types)}{hint}")
    network = {"type": kind,
               "width": _integer(raw.get("width", 32), "network.width", 1, 4096),
               "activation": _choice(raw.get("activation", "tanh"), "network.activation", ACTIVATIONS),
               "init": _choice(raw.get("init", "xavier"), "network.init", INITS)}
    if kind == "mlp":
        network["depth"] = _integer(raw.get("depth", 4), "network.depth", 1, 256)
    else:
        network["blocks"] = _integer(raw.get("blocks", 2), "network.blocks", 1, 256)
        network["layers_per_block"] = _integer(raw.get("layers_per_block", 2), "network.layers_per_block", 1, 256)
    if kind == "adaresnet":
        network["skip_init"] = _number(raw.get("skip_init", 0.0), "network.skip_init")
    if raw.get("fourier_features") is not None:
        path = "network.fourier_features"
        features = _mapping(raw["fourier_features"], path, ("count", "scale"), required=("count", "scale"))
        network["fourier_features"] = {"count": _integer(features["count"], f"{path}.count", 1, 4096),
                                       "scale": _number(features["scale"], f"{path}.scale", positive=True)}
    if raw.get("output_transform") is not None:
        transforms = _mapping(raw["output_transform"], "network.output_transform")
        symbols = problem.fields + problem.domain.variables + list(problem.params)
        for field, text in transforms.items():
            _choice(field, "network.output_transform", problem.fields)
            compile_expression(text, symbols, f"network.output_transform.{field}")
        network["output_transform"] = {f: str(text) for f, text in transforms.items()}
    return network


def _optimizer(value: Any) -> dict:
    raw = _mapping(value, "optimizer")
    kind = _choice(raw.get("type", "adan"), "optimizer.type", OPTIMIZERS)
    options = {"type": kind, "lr": _number(raw.get("lr", 1e-3), "optimizer.lr", positive=True)}
    accepted = optimizer_defaults(kind)
    for key, option in raw.items():
        if key in ("type", "lr"):
            continue
        if key not in accepted:
            raise SpecError(f"optimizer.{key}", f"unknown option for {kind}; expected one of: {', '.join(accepted)}")
        default = accepted[key]
        # torch indexes betas[1] before checking the length: a short list would fail with IndexError
        if isinstance(default, tuple) and not (isinstance(option, list) and len(option) == len(default)):
            got = f"{len(option)}" if isinstance(option, list) else _kind(option)
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
               "gradnorm": ("alpha", "every", "mode")}
    raw = _mapping(value, "weighting", ("type",) + tuple(dict.fromkeys(k for keys in options.values() for k in keys)))
    kind = _choice(raw.get("type", "fixed"), "weighting.type", WEIGHTINGS)
    for key in raw:  # an option of another type would be ignored silently: refuse it
        types = [t for t, keys in options.items() if key in keys]
        if types and kind not in types:
            raise SpecError(f"weighting.{key}", f"only for type{'s' * (len(types) > 1)} {', '.join(types)}")
    if kind == "fixed":
        weights = _mapping(raw.get("weights", {}), "weighting.weights")
        for name, weight in weights.items():
            _choice(name, "weighting.weights", problem.term_names)
            _number(weight, f"weighting.weights.{name}", non_negative=True)
        return Fixed({k: float(v) for k, v in weights.items()})
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
        checked["mode"] = _choice(raw["mode"], "weighting.mode", ("max", "l2"))
    if kind == "gradnorm":
        checked["residual_terms"] = list(problem.residuals)
    return WEIGHTINGS[kind](**checked)


def _points(value: Any, path: str, problem: Problem) -> dict[str, int]:
    points = _mapping(value, path)
    for name, count in points.items():
        _choice(name, path, ["pde"] + problem.condition_names)
        _integer(count, f"{path}.{name}", 1, 10_000_000)
    return dict(points)


def _training(value: Any, problem: Problem) -> TrainingConfig:
    raw = _mapping(value, "training", ("iterations", "points", "sampler", "resample_every", "adaptive", "seed",
                                       "log_every", "schedule", "clip_grad_norm", "early_stopping", "lbfgs",
                                       "checkpoint_every", "device", "dtype"))
    iterations = _integer(raw.get("iterations", 10_000), "training.iterations", 0, 10**9)
    schedule = None
    if raw.get("schedule") is not None:
        schedule = _mapping(raw["schedule"], "training.schedule", ("type", "factor", "patience"), required=("type",))
        _choice(schedule["type"], "training.schedule.type", SCHEDULES)
        for key in ("factor", "patience"):
            if key in schedule:
                _number(schedule[key], f"training.schedule.{key}")
        try:  # the schedule checks its own options; report its complaint against the field
            build_schedule(schedule["type"], torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), iterations,
                           **{k: v for k, v in schedule.items() if k != "type"})
        except ValueError as error:
            raise SpecError("training.schedule", str(error)) from None
    stopping = None
    if raw.get("early_stopping") is not None:
        stopping = _mapping(raw["early_stopping"], "training.early_stopping", ("patience", "min_delta"))
        stopping = {"patience": _integer(stopping.get("patience", 1000), "training.early_stopping.patience", 1, 10**9),
                    "min_delta": _number(stopping.get("min_delta", 0.0), "training.early_stopping.min_delta", non_negative=True)}
    lbfgs = _mapping(raw.get("lbfgs", {}), "training.lbfgs", ("iterations", "dtype", "history", "points", "resample_every"))
    adaptive = None
    if raw.get("adaptive") is not None:
        options = _mapping(raw["adaptive"], "training.adaptive", ("k", "c", "candidates"))
        adaptive = AdaptiveSampling(k=_number(options.get("k", 1.0), "training.adaptive.k", non_negative=True),
                                    c=_number(options.get("c", 1.0), "training.adaptive.c", non_negative=True),
                                    candidates=_integer(options.get("candidates", 65536), "training.adaptive.candidates",
                                                        1, 10_000_000))
    device = _string(raw.get("device", "cpu"), "training.device")
    if device.split(":")[0] not in ("cpu", "cuda"):
        raise SpecError("training.device", f"expected 'cpu' or 'cuda' (optionally 'cuda:N'), got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SpecError("training.device", "CUDA is not available on this machine; use 'cpu'")
    return TrainingConfig(
        iterations=iterations,
        points=_points(raw.get("points", {}), "training.points", problem),
        sampler=_choice(raw.get("sampler", "sobol"), "training.sampler", SAMPLERS),
        resample_every=_integer(raw.get("resample_every", 0), "training.resample_every", 0, 10**9),
        adaptive=adaptive,
        seed=_integer(raw.get("seed", 0), "training.seed", 0, 2**32 - 1),
        log_every=_integer(raw.get("log_every", 100), "training.log_every", 1, 10**9),
        schedule=schedule,
        clip_grad_norm=_number(raw.get("clip_grad_norm", 0.0), "training.clip_grad_norm", non_negative=True),
        early_stopping=stopping,
        lbfgs=LBFGSConfig(
            iterations=_integer(lbfgs.get("iterations", 0), "training.lbfgs.iterations", 0, 10**9),
            dtype=_choice(lbfgs.get("dtype", "auto"), "training.lbfgs.dtype", ("auto",) + tuple(DTYPES)),
            history=_integer(lbfgs.get("history", 50), "training.lbfgs.history", 1, 1000),
            points=_points(lbfgs.get("points", {}), "training.lbfgs.points", problem),
            resample_every=_integer(lbfgs.get("resample_every", 0), "training.lbfgs.resample_every", 0, 10**9)),
        checkpoint_every=_integer(raw.get("checkpoint_every", 1000), "training.checkpoint_every", 0, 10**9),
        device=device,
        dtype=_choice(raw.get("dtype", "float32"), "training.dtype", DTYPES),
    )


def _evaluation(value: Any, domain: Domain, reference: Callable | None = None) -> dict[str, np.ndarray]:
    """``grid: {x: 256, t: [0, 0.99, 100]}``: a count spans the variable's interval; [start, stop, count]
    gives an explicit range. Variables not named get the reference file's axis when the reference
    is a file (no interpolation there), else the default grid's axis (about 20,000 points in all:
    141 per axis in 2-D)."""
    raw = _mapping(value, "evaluation", ("grid",))
    grid = _mapping(raw.get("grid", {}), "evaluation.grid")
    for variable in grid:
        _choice(variable, "evaluation.grid", domain.variables)
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


# -- checking plain values ---------------------------------------------------------------------

def _mapping(value: Any, path: str, allowed: tuple[str, ...] | None = None, required: tuple[str, ...] = ()) -> dict:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise SpecError(path, f"expected a mapping of keys to values, got {_kind(value)}")
    for key in value:
        if not isinstance(key, str):
            raise SpecError(path, f"keys must be strings, got {_kind(key)}")
        if allowed is not None and key not in allowed:
            raise SpecError(_join(path, key), f"unknown key; expected one of: {', '.join(allowed)}")
    for key in required:
        if key not in value:
            raise SpecError(_join(path, key), "missing (required)")
    return dict(value)


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise SpecError(path, f"expected a list, got {_kind(value)}")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(path, f"expected a non-empty string, got {_kind(value)}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, f"expected true or false, got {_kind(value)}")
    return value


def _number(value: Any, path: str, positive: bool = False, non_negative: bool = False) -> float:
    # A range test rather than isfinite: it also refuses nan, and ints that float() cannot convert (10**400).
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -_FLOAT_MAX <= value <= _FLOAT_MAX:
        raise SpecError(path, f"expected a finite number, got {_kind(value)}")
    if positive and not value > 0:
        raise SpecError(path, f"must be positive, got {_kind(value)}")
    if non_negative and not value >= 0:
        raise SpecError(path, f"must not be negative, got {_kind(value)}")
    return float(value)


_FLOAT_MAX = float(np.finfo(np.float64).max)


def _integer(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, f"expected a whole number, got {_kind(value)}")
    if not low <= value <= high:
        raise SpecError(path, f"must lie in [{low}, {high}], got {_kind(value)}")
    return value


def _choice(value: Any, path: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise SpecError(path, f"expected one of: {', '.join(choices)}; got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) < 40 else repr(value[:37] + "...")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        # Hundreds of digits would swamp the message; past 4300, repr() even refuses.
        return f"{Decimal(value):.3e}"
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return repr(value)
    return f"a {type(value).__name__}"


def _join(path: str, key: str) -> str:
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
            pending.extend((v, _join(path, k if isinstance(k, str) else _kind(k)), depth + 1) for k, v in value.items())
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
