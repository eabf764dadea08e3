"""Valid YAML specs: the bundled problems, evaluation grids, overrides, YAML 1.2 booleans, residuals
compiled from expressions (checked against hand-derived residuals) and references."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from hypothesis import given, settings, strategies as st

from pinnsolve.derivatives import Fields
from pinnsolve.errors import SpecError
from pinnsolve.problem import Dirichlet, Initial, Neumann, Periodic
from pinnsolve.references import burgers_cole_hopf
from pinnsolve.spec import build_spec, load_spec

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"

HEAT_LIKE = {
    "variables": {"x": [0, 1], "t": [0, 2]},
    "fields": ["u"],
    "params": {"k": 0.5},
    "pde": "u_t - k*u_xx",
    "conditions": [{"type": "initial", "value": "sin(pi*x)"},
                   {"type": "dirichlet", "on": ["x=0", "x=1"], "value": 0, "name": "boundary"}],
}


def spec_of(**changes):
    return build_spec({**HEAT_LIKE, **changes})


def write(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def fields_at(points, outputs_of, fields, variables):
    """Fields whose outputs are analytic float64 torch functions of the coordinate columns."""
    pts = torch.tensor(np.asarray(points, dtype=np.float64))
    return Fields(pts, lambda q: torch.stack(outputs_of(*(q[:, i] for i in range(q.shape[1]))), dim=1), fields, variables)


# -- the bundled problems ----------------------------------------------------------------------

def test_burgers_bundle():
    spec = load_spec(PROBLEMS / "burgers.yaml")
    problem = spec.problem
    assert problem.name == "burgers"
    assert problem.fields == ["u"]
    assert problem.domain.bounds == {"x": (-1.0, 1.0), "t": (0.0, 1.0)}
    assert problem.params["nu"] == pytest.approx(0.01 / math.pi, rel=1e-15)
    assert problem.term_names == ["pde", "initial", "boundary"]
    initial, boundary = problem.conditions
    assert isinstance(initial, Initial) and initial.variable == "t" and initial.order == 0
    assert isinstance(boundary, Dirichlet) and boundary.on == ["x=-1", "x=1"] and boundary.value == 0.0

    assert spec.network["type"] == "mlp" and spec.network["width"] == 20 and spec.network["depth"] == 8
    assert spec.network["activation"] == "tanh"
    assert spec.network["output_transform"] == {"u": "-sin(pi*x) + t*(1 - x**2)*u"}
    assert spec.optimizer == {"type": "adan", "lr": 2.0e-3}
    training = spec.training
    assert training.iterations == 1000
    assert training.points == {"pde": 4000}
    assert training.resample_every == 100
    assert training.schedule == {"type": "exponential", "factor": 0.1}
    assert training.polish.type == "ssbroyden" and training.polish.iterations == 1200
    assert training.polish.dtype == "auto" and training.polish.damping is None
    assert training.polish.points == {"pde": 10000}
    assert training.dtype == "float32" and training.device == "cpu" and training.seed == 0

    # evaluation: {x: 256, t: [0, 0.99, 100]}: a count spans the interval, a triple is a linspace
    assert list(spec.axes) == ["x", "t"]
    x, t = spec.axes["x"], spec.axes["t"]
    assert len(x) == 256 and x[0] == -1.0 and x[-1] == 1.0
    assert np.allclose(np.diff(x), 2 / 255, rtol=0, atol=1e-14)
    assert len(t) == 100 and t[0] == 0.0 and t[-1] == pytest.approx(0.99, abs=1e-15)
    assert np.allclose(np.diff(t), 0.01, rtol=0, atol=1e-14)
    assert spec.output_dir == Path("runs/burgers") and spec.plots is True


def test_burgers_bundle_initial_value_and_reference():
    problem = load_spec(PROBLEMS / "burgers.yaml").problem
    xs = np.linspace(-1, 1, 9)
    points = np.stack([xs, np.zeros_like(xs)], axis=1)
    f = fields_at(points, lambda x, t: (x * 0,), ["u"], ["x", "t"])
    initial = problem.conditions[0]
    residual = initial.residual(f, problem.params, problem.domain)  # u - value, with u = 0
    assert np.allclose(-residual.detach().numpy(), -np.sin(np.pi * xs), atol=1e-14)

    # Independent facts of the Cole-Hopf solution: the initial data at t = 0, zero at x = +-1.
    at_zero = problem.reference({"x": xs, "t": np.zeros_like(xs)})["u"]
    assert np.allclose(at_zero, -np.sin(np.pi * xs), atol=1e-10)
    ts = np.array([0.1, 0.5, 0.9])
    ends = problem.reference({"x": np.array([-1.0, 1.0])[:, None], "t": ts[None, :]})["u"]
    assert ends.shape == (2, 3) and np.allclose(ends, 0.0, atol=1e-10)


def test_heat_bundle():
    spec = load_spec(PROBLEMS / "heat.yaml")
    problem = spec.problem
    assert problem.name == "heat"
    assert problem.domain.bounds == {"x": (0.0, 1.0), "t": (0.0, 1.0)}
    assert dict(problem.params) == {"k": 0.05}
    assert problem.term_names == ["pde", "initial", "boundary"]
    assert spec.training.iterations == 1500 and spec.training.resample_every == 250
    assert spec.training.points == {"pde": 1024, "initial": 128, "boundary": 128}
    assert spec.training.polish.iterations == 300 and spec.training.polish.dtype == "auto"
    assert spec.optimizer == {"type": "adan", "lr": 3.0e-3}
    assert np.array_equal(spec.axes["x"], np.linspace(0, 1, 101))
    assert np.array_equal(spec.axes["t"], np.linspace(0, 1, 101))

    X, T = np.meshgrid(spec.axes["x"], spec.axes["t"], indexing="ij")
    k = 0.05
    exact = np.exp(-k * np.pi**2 * T) * np.sin(np.pi * X) + 0.5 * np.exp(-9 * k * np.pi**2 * T) * np.sin(3 * np.pi * X)
    got = problem.reference({"x": X, "t": T})["u"]
    assert got.dtype == np.float64 and got.shape == X.shape
    assert np.allclose(got, exact, rtol=0, atol=1e-14)


def test_default_name_is_file_stem_and_text_is_resolved_yaml(tmp_path):
    path = write(tmp_path, yaml.safe_dump(HEAT_LIKE), "my_problem.yaml")
    spec = load_spec(path, {"training.iterations": 3})
    assert spec.problem.name == "my_problem"
    assert spec.output_dir == Path("runs/my_problem")
    resolved = yaml.safe_load(spec.text)
    assert resolved["training"]["iterations"] == 3
    assert resolved["pde"] == "u_t - k*u_xx"
    # The stored text is enough to rebuild the same run.
    again = build_spec(resolved)
    assert again.training == spec.training and again.problem.term_names == spec.problem.term_names


# -- evaluation grid ---------------------------------------------------------------------------

@pytest.mark.parametrize("variables, per_axis", [
    ({"x": [0, 1]}, 20000),
    ({"x": [0, 1], "t": [0, 1]}, 141),          # round(sqrt(20000)) = round(141.42)
    ({"x": [0, 1], "y": [0, 1], "t": [0, 1]}, 27),  # round(20000 ** (1/3)) = round(27.14)
])
def test_default_grid_has_about_20000_points(variables, per_axis):
    spec = build_spec({"variables": variables, "fields": ["u"], "pde": "u"})
    assert [len(a) for a in spec.axes.values()] == [per_axis] * len(variables)
    for name, (lo, hi) in variables.items():
        assert spec.axes[name][0] == lo and spec.axes[name][-1] == hi


def test_grid_count_and_range():
    spec = spec_of(evaluation={"grid": {"x": 5, "t": [0.5, 1.5, 3]}})
    assert np.array_equal(spec.axes["x"], [0, 0.25, 0.5, 0.75, 1.0])
    assert np.array_equal(spec.axes["t"], [0.5, 1.0, 1.5])
    # only some variables named: the others take the default count
    spec = spec_of(evaluation={"grid": {"t": 4}})
    assert len(spec.axes["x"]) == 141 and np.array_equal(spec.axes["t"], np.linspace(0, 2, 4))
    # order of the axes is the declaration order of the variables, not the grid's
    spec = spec_of(evaluation={"grid": {"t": 3, "x": 2}})
    assert list(spec.axes) == ["x", "t"]


@settings(max_examples=40, deadline=None)
@given(a=st.floats(0, 2), b=st.floats(0, 2), count=st.integers(1, 50))
def test_grid_range_inside_interval(a, b, count):
    start, stop = min(a, b), max(a, b)
    spec = spec_of(evaluation={"grid": {"t": [start, stop, count]}})
    assert np.array_equal(spec.axes["t"], np.linspace(start, stop, count))


# -- overrides ---------------------------------------------------------------------------------

def test_overrides_by_dotted_path():
    document = {**HEAT_LIKE, "training": {"iterations": 100, "polish": {"iterations": 10}}}
    spec = build_spec(document, {"training.iterations": 7, "training.polish.iterations": 0, "training.seed": 42,
                                 "network.width": 5, "optimizer.lr": 0.25, "output.dir": "elsewhere/run",
                                 "evaluation.grid.x": 3, "params.k": 2.0})
    assert spec.training.iterations == 7 and spec.training.polish.iterations == 0 and spec.training.seed == 42
    assert spec.network["width"] == 5
    assert spec.optimizer["lr"] == 0.25
    assert spec.output_dir == Path("elsewhere/run")
    assert np.array_equal(spec.axes["x"], [0, 0.5, 1])
    assert spec.problem.params["k"] == 2.0
    # the caller's document is not modified
    assert document["training"] == {"iterations": 100, "polish": {"iterations": 10}} and "network" not in document


def test_override_is_validated_like_the_file():
    with pytest.raises(SpecError) as caught:
        build_spec(HEAT_LIKE, {"training.iterations": -1})
    assert str(caught.value) == "training.iterations: must lie in [0, 1000000000], got -1"
    with pytest.raises(SpecError) as caught:
        build_spec(HEAT_LIKE, {"network.widht": 4})
    assert caught.value.path == "network.widht"


def test_override_into_empty_section(tmp_path):
    path = write(tmp_path, yaml.safe_dump(HEAT_LIKE) + "training:\n")
    assert load_spec(path).training.iterations == 10_000  # an empty section is valid on its own
    assert load_spec(path, {"training.iterations": 5}).training.iterations == 5


def test_override_through_a_value_names_the_full_path():
    with pytest.raises(SpecError) as caught:
        build_spec({**HEAT_LIKE, "network": {"width": 8}}, {"network.width.x": 5})
    assert caught.value.path == "network.width"


# -- where in the file an error is ------------------------------------------------------------

LOCATED = """\
variables:
  x: [0, 1]
  t: [0, 2]
fields: [u]
pde: "u_t - u_xx"
conditions:
  - type: initial
    value: "sin(pi*x)"
  - type: dirichlet
    on:
      - "x=0"
      - "x=3"
    value: 0
network:
  width: 8
"""


def located_error(tmp_path, text, overrides=None) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, text), overrides)
    return caught.value


def test_error_names_the_line_of_the_value(tmp_path):
    error = located_error(tmp_path, LOCATED)
    assert (error.line, error.path) == (12, "conditions[1].on[1]")
    assert str(error).startswith("line 12: conditions[1].on[1]: side 'x=3'")
    error = located_error(tmp_path, LOCATED.replace('"x=3"', '"x=1"').replace("width: 8", "width: -8"))
    assert (error.line, error.path) == (15, "network.width")


def test_missing_key_is_reported_at_its_mapping(tmp_path):
    error = located_error(tmp_path, LOCATED.replace("  - type: dirichlet\n    on:", "  - on:"))
    assert (error.line, error.path, error.message) == (9, "conditions[1].type", "missing (required)")


def test_overridden_value_has_no_line(tmp_path):
    text = LOCATED.replace('"x=3"', '"x=1"')
    error = located_error(tmp_path, text, {"network.width": -1})
    assert (error.line, str(error)) == (None, "network.width: must lie in [1, 4096], got -1")
    error = located_error(tmp_path, text + "  depth: 0\n", {"network.width": 4})
    assert (error.line, error.path) == (16, "network.depth")  # other fields keep their lines


def test_syntax_error_has_line_and_column(tmp_path):
    error = located_error(tmp_path, "variables: {x: [0, 1]\nfields: [u]\n")
    assert (error.line, error.column, error.path) == (2, 1, "")
    assert str(error) == "line 2, column 1: YAML syntax error: expected ',' or '}', but got '<scalar>'"


def test_duplicate_anchor_says_so(tmp_path):
    error = located_error(tmp_path, "a: &a 1\nb: &a 2\n" + LOCATED)
    assert str(error) == "line 2, column 4: YAML syntax error: found duplicate anchor 'a' (second occurrence)"


def test_aliases_and_recursive_documents_locate_quickly(tmp_path):
    # An alias bomb: 9 levels of 9 aliases would be 9**9 paths if every alias were walked again.
    levels = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    error = located_error(tmp_path, "\n".join(levels) + "\n" + LOCATED)
    assert error.path == "a0" and error.line == 1
    error = located_error(tmp_path, "loop: &loop [*loop]\n" + LOCATED)
    assert str(error) == "line 1, column 7: YAML syntax error: found unconstructable recursive node"


# -- YAML 1.2 booleans, numbers ----------------------------------------------------------------

def test_on_yes_no_stay_strings(tmp_path):
    text = ("name: yes\n"
            "description: no\n"
            "variables: {x: [0, 1], t: [0, 1]}\n"
            "fields: [u]\n"
            "pde: u_t - u_xx\n"
            "conditions:\n"
            "  - type: neumann\n"
            "    on: x=0\n"
            "    value: 0\n"
            "  - {type: dirichlet, on: [x=1], value: 0}\n"
            "output: {plots: false}\n")
    spec = load_spec(write(tmp_path, text))
    assert spec.problem.name == "yes"
    neumann, dirichlet = spec.problem.conditions
    assert isinstance(neumann, Neumann) and neumann.on == ["x=0"]
    assert isinstance(dirichlet, Dirichlet) and dirichlet.on == ["x=1"]
    assert spec.plots is False
    assert yaml.safe_load(spec.text)["description"] == "no"


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n"])
def test_yaml11_booleans_are_not_booleans(tmp_path, word):
    text = yaml.safe_dump(HEAT_LIKE) + f"output: {{plots: {word}}}\n"
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, text))
    assert str(caught.value) == f"line 22: output.plots: expected true or false, got {word!r}"


@pytest.mark.parametrize("word, value", [("true", True), ("True", True), ("false", False), ("FALSE", False)])
def test_yaml12_booleans(tmp_path, word, value):
    assert load_spec(write(tmp_path, yaml.safe_dump(HEAT_LIKE) + f"output: {{plots: {word}}}\n")).plots is value


def test_scientific_notation_without_dot_is_a_number(tmp_path):
    text = yaml.safe_dump(HEAT_LIKE) + "optimizer: {type: adam, lr: 1e-3}\n"
    assert load_spec(write(tmp_path, text)).optimizer["lr"] == 1e-3


# -- residuals compiled from expressions -------------------------------------------------------

def _analytic():
    """u = exp(-t) sin(2x) + x^2 t and its derivatives, by hand (numpy)."""
    u = lambda x, t: np.exp(-t) * np.sin(2 * x) + x**2 * t  # noqa: E731
    u_t = lambda x, t: -np.exp(-t) * np.sin(2 * x) + x**2  # noqa: E731
    u_x = lambda x, t: 2 * np.exp(-t) * np.cos(2 * x) + 2 * x * t  # noqa: E731
    u_xx = lambda x, t: -4 * np.exp(-t) * np.sin(2 * x) + 2 * t  # noqa: E731
    u_xt = lambda x, t: -2 * np.exp(-t) * np.cos(2 * x) + 2 * x  # noqa: E731
    u_xxt = lambda x, t: 4 * np.exp(-t) * np.sin(2 * x) + 2  # noqa: E731
    return u, u_t, u_x, u_xx, u_xt, u_xxt


POINTS = np.random.default_rng(3).uniform([-1, 0], [1, 2], size=(17, 2))


def test_residual_from_expression_equals_hand_residual():
    spec = build_spec({"variables": {"x": [-1, 1], "t": [0, 2]}, "fields": ["u"], "params": {"nu": 0.3, "c": -1.5},
                       "pde": "u_t + u*u_x - nu*u_xx + c*u_tx**2/(1 + t) - x*t + sqrt(abs(u_xxt)) - 2**-1"})
    residual = spec.problem.residuals["pde"]
    f = fields_at(POINTS, lambda x, t: (torch.exp(-t) * torch.sin(2 * x) + x**2 * t,), ["u"], ["x", "t"])
    got = residual(f, spec.problem.params)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64 and got.shape == (len(POINTS),)

    u, u_t, u_x, u_xx, u_xt, u_xxt = _analytic()
    x, t = POINTS[:, 0], POINTS[:, 1]
    expected = (u_t(x, t) + u(x, t) * u_x(x, t) - 0.3 * u_xx(x, t) - 1.5 * u_xt(x, t) ** 2 / (1 + t) - x * t
                + np.sqrt(np.abs(u_xxt(x, t))) - 0.5)
    assert np.allclose(got.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert residual.expression.text == "u_t + u*u_x - nu*u_xx + c*u_tx**2/(1 + t) - x*t + sqrt(abs(u_xxt)) - 2**-1"


def test_residual_sees_overridden_parameter():
    document = {"variables": {"x": [-1, 1], "t": [0, 2]}, "fields": ["u"], "params": {"nu": 0.3}, "pde": "nu*u_xx"}
    f = fields_at(POINTS, lambda x, t: (torch.exp(-t) * torch.sin(2 * x) + x**2 * t,), ["u"], ["x", "t"])
    _, _, _, u_xx, _, _ = _analytic()
    for nu in (0.3, 7.0):
        problem = build_spec(document, {"params.nu": nu}).problem
        got = problem.residuals["pde"](f, problem.params).detach().numpy()
        assert np.allclose(got, nu * u_xx(POINTS[:, 0], POINTS[:, 1]), rtol=1e-12, atol=1e-12)


def test_system_of_residuals_list_and_mapping():
    """Cauchy-Riemann for (u, v) = (Re, Im) of exp(z) = e^x (cos y, sin y): both residuals vanish,
    and a perturbed pair gives the hand-computed residuals."""
    document = {"variables": {"x": [0, 1], "y": [0, 1]}, "fields": ["u", "v"]}
    listed = build_spec(document | {"pde": ["u_x - v_y", "u_y + v_x"]}).problem
    named = build_spec(document | {"pde": {"cr1": "u_x - v_y", "cr2": "u_y + v_x"}}).problem
    assert list(listed.residuals) == ["pde1", "pde2"] and list(named.residuals) == ["cr1", "cr2"]

    f = fields_at(POINTS, lambda x, y: (torch.exp(x) * torch.cos(y), torch.exp(x) * torch.sin(y)), ["u", "v"], ["x", "y"])
    for problem in (listed, named):
        for residual in problem.residuals.values():
            assert np.allclose(residual(f, problem.params).detach().numpy(), 0.0, atol=1e-13)
    # u = x y, v = x^2: u_x - v_y = y, u_y + v_x = x + 2x = 3x
    g = fields_at(POINTS, lambda x, y: (x * y, x**2), ["u", "v"], ["x", "y"])
    first, second = named.residuals.values()
    assert np.allclose(first(g, named.params).detach().numpy(), POINTS[:, 1], atol=1e-14)
    assert np.allclose(second(g, named.params).detach().numpy(), 3 * POINTS[:, 0], atol=1e-14)


def test_condition_values_from_expressions():
    spec = spec_of(conditions=[
        {"type": "initial", "value": "k*sin(pi*x)"},
        {"type": "dirichlet", "on": "x=max", "value": "cos(t)", "name": "right"},
        {"type": "neumann", "on": ["x=min"], "value": -2.5},
        {"type": "periodic", "derivatives": 0},
        {"type": "initial", "order": 1, "value": 0, "name": "rate"},
    ])
    initial, right, neumann, periodic, rate = spec.problem.conditions
    assert spec.problem.term_names == ["pde", "initial", "right", "neumann", "periodic", "rate"]
    assert neumann.value == -2.5 and isinstance(neumann.value, float)
    assert isinstance(periodic, Periodic) and periodic.variable == "x" and periodic.derivatives == 0
    assert rate.order == 1 and rate.variable == "t"

    points = np.stack([np.linspace(0, 1, 7), np.linspace(0, 2, 7)], axis=1)
    f = fields_at(points, lambda x, t: (x * 0,), ["u"], ["x", "t"])
    params = spec.problem.params
    assert np.allclose(initial.value(f, params).detach().numpy(), 0.5 * np.sin(np.pi * points[:, 0]), atol=1e-15)
    assert np.allclose(right.value(f, params).detach().numpy(), np.cos(points[:, 1]), atol=1e-15)


# -- references --------------------------------------------------------------------------------

def test_expression_reference_returns_the_right_array():
    spec = spec_of(reference={"type": "expression", "u": "exp(-k*t)*cos(x) + x**2"})
    X, T = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 2, 3), indexing="ij")
    got = spec.problem.reference({"x": X, "t": T})
    assert set(got) == {"u"}
    assert got["u"].dtype == np.float64 and got["u"].shape == (5, 3)
    assert np.allclose(got["u"], np.exp(-0.5 * T) * np.cos(X) + X**2, rtol=0, atol=1e-15)


def test_expression_reference_of_several_fields_and_constant():
    spec = build_spec({"variables": {"x": [0, 1], "y": [0, 1]}, "fields": ["u", "v"], "pde": ["u_x - v_y", "u_y + v_x"],
                       "reference": {"type": "expression", "u": "exp(x)*cos(y)", "v": 3}})
    x, y = np.array([0.0, 0.5, 1.0]), np.array([0.2, 0.4, 0.8])
    got = spec.problem.reference({"x": x, "y": y})
    assert np.allclose(got["u"], np.exp(x) * np.cos(y), atol=1e-15)
    assert np.allclose(np.broadcast_to(got["v"], x.shape), 3.0)


BURGERS_DOMAIN = {"variables": {"x": [-1, 1], "t": [0, 1]}, "fields": ["u"], "pde": "u_t + u*u_x - nu*u_xx"}


def test_cole_hopf_reference_uses_nu():
    x = np.linspace(-1, 1, 11)
    t = np.full_like(x, 0.4)
    from_params = build_spec(BURGERS_DOMAIN | {"params": {"nu": 0.05}, "reference": {"type": "burgers_cole_hopf"}})
    explicit = build_spec(BURGERS_DOMAIN | {"params": {"nu": 0.05},
                                            "reference": {"type": "burgers_cole_hopf", "nu": 0.2}})
    a = from_params.problem.reference({"x": x, "t": t})["u"]
    b = explicit.problem.reference({"x": x, "t": t})["u"]
    assert np.allclose(a, burgers_cole_hopf(x, t, 0.05), atol=1e-14)
    assert np.allclose(b, burgers_cole_hopf(x, t, 0.2), atol=1e-14)  # reference.nu wins over params.nu
    assert not np.allclose(a, b)
    # at t = 0 both are the initial data, whatever nu
    zero = np.zeros_like(x)
    assert np.allclose(explicit.problem.reference({"x": x, "t": zero})["u"], -np.sin(np.pi * x), atol=1e-10)


def test_cole_hopf_reference_requires_nu():
    document = BURGERS_DOMAIN | {"pde": "u_t + u*u_x", "reference": {"type": "burgers_cole_hopf"}}
    with pytest.raises(SpecError) as caught:
        build_spec(document)
    assert str(caught.value) == "reference.nu: missing: give the viscosity, or declare params.nu (reference.params.nu when it is unknown)"


@pytest.mark.parametrize("variables", [
    {"x": [0, 1], "t": [0, 1]},
    {"x": [-1, 2], "t": [0, 1]},
    {"x": [-1, 1], "y": [0, 1]},
    {"x": [-1, 1], "t": [0, 1], "y": [0, 1]},
])
def test_cole_hopf_reference_requires_x_in_minus_one_one(variables):
    document = {"variables": variables, "fields": ["u"], "pde": "u_x", "params": {"nu": 0.01},
                "reference": {"type": "burgers_cole_hopf"}}
    with pytest.raises(SpecError) as caught:
        build_spec(document)
    assert caught.value.path == "reference.type"
    assert "x in [-1, 1]" in caught.value.message


def test_duplicate_key_is_refused(tmp_path):
    text = yaml.safe_dump(HEAT_LIKE) + "network: {width: 8, width: 16}\n"
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, text))
    assert "width" in str(caught.value)
