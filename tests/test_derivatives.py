"""Tests of derivative-name parsing and of Fields against hand-derived derivatives."""


import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from pinnsolve import derivatives
from pinnsolve.derivatives import Fields, parse_name

# ---------------------------------------------------------------------------------------------
# parse_name


@pytest.mark.parametrize("name, expected", [
    ("u", ("u", ())),
    ("u_x", ("u", ("x",))),
    ("u_t", ("u", ("t",))),
    ("u_xt", ("u", ("x", "t"))),
    ("u_tx", ("u", ("t", "x"))),
    ("u_xxt", ("u", ("x", "x", "t"))),
    ("v_tt", ("v", ("t", "t"))),
])
def test_parse_name_single_letter_variables(name, expected):
    assert parse_name(name, ("u", "v"), ("x", "t")) == expected


@pytest.mark.parametrize("name, expected", [
    ("u_x1", ("u", ("x1",))),
    ("u_x1x2", ("u", ("x1", "x2"))),
    ("u_x2x2x1", ("u", ("x2", "x2", "x1"))),
    ("u_x1t", ("u", ("x1", "t"))),
])
def test_parse_name_multi_letter_variables(name, expected):
    assert parse_name(name, ("u",), ("x1", "x2", "t")) == expected


def test_parse_name_longest_field_prefix_wins():
    # "rho_x" must not be read as field "r" differentiated by "ho"...
    assert parse_name("rho_x", ("r", "rho"), ("x", "ho")) == ("rho", ("x",))
    # ...and a field literally named like a derivative is the field itself
    assert parse_name("u_x", ("u", "u_x"), ("x",)) == ("u_x", ())


@pytest.mark.parametrize("name", [
    "w",        # unknown field
    "w_x",
    "u_y",      # unknown variable
    "u_xy",
    "ux",       # missing underscore
    "u__x",
    "x",        # a variable is not a field
])
def test_parse_name_unknown_is_none(name):
    assert parse_name(name, ("u",), ("x", "t")) is None


@pytest.mark.parametrize("name, variables", [
    ("u_xx", ("x", "xx")),          # x,x or xx
    ("u_ab", ("a", "b", "ab")),     # a,b or ab
    ("u_abc", ("a", "bc", "ab", "c")),
])
def test_parse_name_ambiguous_split_is_none(name, variables):
    assert parse_name(name, ("u",), variables) is None


def test_parse_name_unambiguous_despite_overlapping_variable_names():
    assert parse_name("u_xx1", ("u",), ("x", "x1")) == ("u", ("x", "x1"))
    assert parse_name("u_x1x", ("u",), ("x", "x1")) == ("u", ("x1", "x"))


TOKENS = ("x", "y", "t", "x1", "x2")  # every concatenation splits in exactly one way


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=5), st.sampled_from(["u", "v", "rho"]))
def test_parse_name_round_trip(by, field):
    assert parse_name(f"{field}_{''.join(by)}", ("u", "v", "rho"), TOKENS) == (field, tuple(by))


# ---------------------------------------------------------------------------------------------
# Fields on analytic functions (float64)


def analytic_fields(n=25, seed=0):
    rng = np.random.default_rng(seed)
    pts_np = np.column_stack([rng.uniform(-2, 2, n), rng.uniform(-1, 1.5, n)])
    pts = torch.tensor(pts_np, dtype=torch.float64)

    def network(pts):
        x, t = pts[:, 0], pts[:, 1]
        u = torch.sin(x) * torch.exp(t) * x ** 2
        v = x ** 3 * t ** 2 + torch.sin(x * t)
        w = torch.full_like(x, 3.0)                 # does not depend on the inputs
        s = torch.cos(2 * x)                        # depends on x only
        return torch.stack([u, v, w, s], dim=1)

    f = Fields(pts, network, ["u", "v", "w", "s"], ["x", "t"])
    return f, pts_np[:, 0], pts_np[:, 1]


def expected_derivatives(x, t):
    sin, cos, exp = np.sin, np.cos, np.exp
    xt = x * t
    u = x ** 2 * sin(x) * exp(t)
    u_x = (2 * x * sin(x) + x ** 2 * cos(x)) * exp(t)
    u_xx = (2 * sin(x) + 4 * x * cos(x) - x ** 2 * sin(x)) * exp(t)
    u_xxx = (6 * cos(x) - 6 * x * sin(x) - x ** 2 * cos(x)) * exp(t)
    return {
        "u": u, "u_x": u_x, "u_t": u, "u_xx": u_xx, "u_xt": u_x, "u_tx": u_x, "u_tt": u,
        "u_xxx": u_xxx, "u_xxt": u_xx, "u_txx": u_xx, "u_xtt": u_x, "u_ttt": u,
        "v": x ** 3 * t ** 2 + sin(xt),
        "v_x": 3 * x ** 2 * t ** 2 + t * cos(xt),
        "v_t": 2 * x ** 3 * t + x * cos(xt),
        "v_xx": 6 * x * t ** 2 - t ** 2 * sin(xt),
        "v_xt": 6 * x ** 2 * t + cos(xt) - xt * sin(xt),
        "v_tx": 6 * x ** 2 * t + cos(xt) - xt * sin(xt),
        "v_tt": 2 * x ** 3 - x ** 2 * sin(xt),
        "v_xxx": 6 * t ** 2 - t ** 3 * cos(xt),
        "v_xxt": 12 * x * t - 2 * t * sin(xt) - t ** 2 * x * cos(xt),
        "v_xtx": 12 * x * t - 2 * t * sin(xt) - t ** 2 * x * cos(xt),
        "v_xtt": 6 * x ** 2 - 2 * x * sin(xt) - x ** 2 * t * cos(xt),
        "v_ttt": -x ** 3 * cos(xt),
        "s": cos(2 * x), "s_x": -2 * sin(2 * x), "s_t": 0 * x, "s_xx": -4 * cos(2 * x), "s_xt": 0 * x,
        "s_tt": 0 * x,
        "w": 3 + 0 * x, "w_x": 0 * x, "w_t": 0 * x, "w_xx": 0 * x, "w_xt": 0 * x, "w_tt": 0 * x,
    }


NAMES = list(expected_derivatives(np.zeros(1), np.zeros(1)))


@pytest.mark.parametrize("name", NAMES)
def test_fields_match_hand_derived_derivatives(name):
    f, x, t = analytic_fields()
    value = f[name]
    assert value.shape == (len(x),)
    assert value.dtype == torch.float64
    np.testing.assert_allclose(value.detach().numpy(), expected_derivatives(x, t)[name], rtol=1e-12, atol=1e-12)


def test_fields_in_any_reading_order_agree():
    # the cache must not depend on which derivative was read first
    names = ["v_tt", "v_xtt", "v_xt", "v_x", "v_ttt", "v_xxt", "v_xx", "v_t", "v_xxx"]
    f, x, t = analytic_fields(seed=4)
    expected = expected_derivatives(x, t)
    for name in names:
        np.testing.assert_allclose(f[name].detach().numpy(), expected[name], rtol=1e-12, atol=1e-12)


def test_attribute_and_item_access_agree():
    f, _, _ = analytic_fields()
    assert f.u_xt is f["u_xt"]
    assert f.v is f["v"]


def test_mixed_partials_are_one_cached_tensor():
    f, _, _ = analytic_fields()
    assert f.u_xt is f.u_tx
    assert f.v_xxt is f.v_txx is f.v_xtx


def test_derivatives_are_cached():
    f, _, _ = analytic_fields()
    first = f.u_x
    assert f.u_x is first
    assert f["u_x"] is first


def test_coordinates_by_name():
    f, x, t = analytic_fields()
    np.testing.assert_array_equal(f.x.detach().numpy(), x)
    np.testing.assert_array_equal(f["t"].detach().numpy(), t)


def test_field_independent_of_inputs_gives_zero_derivatives_of_any_order():
    pts = torch.rand(6, 2, dtype=torch.float64)
    weight = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)  # needs grad, but not via points
    outputs = torch.stack([torch.ones(6, dtype=torch.float64), weight * torch.ones(6, dtype=torch.float64)], 1)
    f = Fields(pts, lambda points: outputs, ["a", "b"], ["x", "t"])
    for name in ["a_x", "a_tt", "b_x", "b_xt", "b_ttt"]:
        assert torch.equal(f[name], torch.zeros(6, dtype=torch.float64)), name


def test_linear_field_has_zero_second_derivative():
    pts = torch.rand(5, 1, dtype=torch.float64)
    f = Fields(pts, lambda points: 3 * points + 1, ["u"], ["x"])
    np.testing.assert_array_equal(f.u_x.detach().numpy(), np.full(5, 3.0))
    np.testing.assert_array_equal(f.u_xx.detach().numpy(), np.zeros(5))


def test_reads_cost_one_backward_pass_per_lower_derivative(monkeypatch):
    calls = []
    real = torch.autograd.grad

    def counting(outputs, inputs, **kwargs):
        calls.append(1)
        return real(outputs, inputs, **kwargs)

    monkeypatch.setattr(derivatives.torch.autograd, "grad", counting)
    f, _, _ = analytic_fields()
    f.u, f.x
    assert len(calls) == 0
    f.u_x
    f.u_t                       # same pass as u_x
    assert len(calls) == 1
    f.u_xx, f.u_xt, f.u_tx      # one pass from u_x
    assert len(calls) == 2
    f.u_tt                      # one pass from u_t
    assert len(calls) == 3


def test_derivatives_keep_the_graph_for_training():
    pts = torch.rand(8, 1, dtype=torch.float64)
    a = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    f = Fields(pts, lambda points: torch.sin(a * points), ["u"], ["x"])
    loss = f.u_xx.sum()  # = -a^2 Σ sin(a x)
    (grad,) = torch.autograd.grad(loss, a)
    x = pts.detach().numpy()[:, 0]
    expected = np.sum(-2 * 1.5 * np.sin(1.5 * x) - 1.5 ** 2 * x * np.cos(1.5 * x))
    assert grad.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["q", "u_y", "u_xy", "ux", "y"])
def test_unknown_names(name):
    f, _, _ = analytic_fields()
    with pytest.raises(KeyError, match="unknown field"):
        f[name]
    with pytest.raises(AttributeError, match="unknown field"):
        getattr(f, name)


def test_private_attribute_is_attribute_error():
    f, _, _ = analytic_fields()
    with pytest.raises(AttributeError):
        f._nothing
    assert not hasattr(f, "__wrapped__")


def test_trailing_underscore_names_no_derivative():
    assert parse_name("u_", ("u",), ("x", "t")) is None
