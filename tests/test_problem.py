"""Tests of conditions (sampling and residuals on analytic fields), parameters and Problem naming."""

import math

import numpy as np
import pytest
import torch

from pinnsolve.derivatives import Fields
from pinnsolve.domain import Domain, Side
from pinnsolve.errors import SpecError
from pinnsolve.problem import Dirichlet, Initial, Neumann, Params, Periodic, Problem, Unknown
from pinnsolve.sampling import Sampler
from pinnsolve.terms import PointSet

NO_PARAMS = Params()


def fields_of(domain, points, *functions, names=("u",), dtype=torch.float64):
    """Fields whose outputs are analytic torch functions of the coordinates (by variable name), at
    ``points``: coordinates, or a PointSet (its per-point data comes along)."""
    points = points if isinstance(points, PointSet) else PointSet(np.asarray(points, dtype=float))
    points = points.map(lambda a: torch.tensor(a, dtype=dtype))

    def network(pts):
        coords = {v: pts[:, i] for i, v in enumerate(domain.variables)}
        return torch.stack([fn(**coords) for fn in functions], dim=1)

    return Fields(points.points, network, list(names), domain.variables, points.data)


def sample(condition, sampler, domain, n):
    return condition.where(domain).sample(sampler, domain, n)


def numpy_of(tensor):
    return tensor.detach().numpy()


def pde(f, p):
    return f.u_t - f.u_xx


# ---------------------------------------------------------------------------------------------
# Params


def test_params_by_attribute_and_item():
    p = Params({"nu": 0.01, "c": 2.0})
    assert p.nu == 0.01 and p["c"] == 2.0
    assert len(p) == 2 and list(p) == ["nu", "c"] and dict(p) == {"nu": 0.01, "c": 2.0}


def test_unknown_param_names_it_and_the_known_ones():
    with pytest.raises(AttributeError, match=r"'mu'.*nu"):
        Params({"nu": 1.0}).mu
    with pytest.raises(AttributeError, match="none"):
        Params().nu
    with pytest.raises(KeyError):
        Params({"nu": 1.0})["mu"]


def test_params_copy_their_input():
    values = {"nu": 1.0}
    p = Params(values)
    values["nu"] = 5.0
    assert p.nu == 1.0


# ---------------------------------------------------------------------------------------------
# Initial


def test_initial_samples_on_t_min():
    d = Domain(x=(-1, 1), t=(0.5, 2))
    c = Initial("u")
    assert c.sides(d) == [Side("t", False)]
    pts = sample(c, Sampler("sobol", seed=0), d, 16).points
    assert pts.shape == (16, 2)
    assert np.all(pts[:, 1] == 0.5)
    assert np.all((pts[:, 0] >= -1) & (pts[:, 0] <= 1))


def test_initial_order_zero_with_callable_value():
    d = Domain(x=(-1, 1), t=(0, 1))
    pts = [[-0.5, 0.0], [0.3, 0.0], [0.3, 0.5], [0.9, 0.2]]
    f = fields_of(d, pts, lambda x, t: torch.sin(x) + t ** 2)
    r = Initial("u", value=lambda f, p: torch.sin(f.x)).residual(f, NO_PARAMS, d)
    np.testing.assert_allclose(numpy_of(r), [0.0, 0.0, 0.25, 0.04], atol=1e-15)


def test_initial_order_zero_with_constant_value():
    d = Domain(x=(-1, 1), t=(0, 1))
    pts = [[-0.5, 0.0], [0.3, 0.7]]
    f = fields_of(d, pts, lambda x, t: 2 + x * t)
    r = Initial("u", value=2).residual(f, NO_PARAMS, d)
    np.testing.assert_allclose(numpy_of(r), [0.0, 0.3 * 0.7], atol=1e-15)


def test_initial_order_one_constrains_the_rate():
    d = Domain(x=(-1, 1), t=(0, 1))
    pts = [[-0.5, 0.0], [0.3, 0.0], [0.8, 0.0]]
    # u_t = x + 2t ;  at t = 0 the rate is x
    f = fields_of(d, pts, lambda x, t: x * t + t ** 2 + torch.cos(x))
    np.testing.assert_allclose(numpy_of(Initial("u", value=lambda f, p: f.x, order=1).residual(f, NO_PARAMS, d)),
                               0.0, atol=1e-15)
    np.testing.assert_allclose(numpy_of(Initial("u", value=0, order=1).residual(f, NO_PARAMS, d)),
                               [-0.5, 0.3, 0.8], atol=1e-15)


def test_initial_on_another_variable():
    d = Domain(x=(-1, 1), tau=(3, 4))
    c = Initial("u", variable="tau", value=lambda f, p: p.a * f.x)
    assert c.sides(d) == [Side("tau", False)]
    pts = [[0.5, 3.0], [-0.25, 3.0]]
    # u_tau = 2 * tau ; at tau=3: 6 ; value a*x
    f = fields_of(d, pts, lambda x, tau: tau ** 2 + x)
    r = Initial("u", variable="tau", order=1, value=lambda f, p: p.a * f.x).residual(f, Params({"a": 4.0}), d)
    np.testing.assert_allclose(numpy_of(r), [6.0 - 2.0, 6.0 + 1.0], atol=1e-14)


def test_initial_on_unknown_variable_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        Initial("u").sides(Domain(x=(-1, 1)))
    assert info.value.path.endswith("variable")


# ---------------------------------------------------------------------------------------------
# Dirichlet


def test_dirichlet_samples_split_over_its_sides():
    d = Domain(x=(-1, 1), t=(0, 1))
    c = Dirichlet("u", on=["x=-1", "x=max"])
    assert c.where(d).sides == (Side("x", False), Side("x", True))
    points = sample(c, Sampler("halton", seed=2), d, 10)
    pts = points.points
    np.testing.assert_array_equal(points.data["normal"], [[-1, 0]] * 5 + [[1, 0]] * 5)
    assert np.all(pts[:5, 0] == -1) and np.all(pts[5:, 0] == 1)
    assert np.all((pts[:, 1] >= 0) & (pts[:, 1] <= 1))


def test_dirichlet_single_side_as_a_string():
    assert Dirichlet("u", on="t=max").where(Domain(x=(-1, 1), t=(0, 1))).sides == (Side("t", True),)


def test_dirichlet_needs_a_side():
    with pytest.raises(SpecError) as info:
        Dirichlet("u", on=[]).where(Domain(x=(-1, 1)))
    assert info.value.path.endswith("on")


def test_dirichlet_off_the_box_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        Dirichlet("u", on=["x=-1", "x=3"]).where(Domain(x=(-1, 1)))
    assert "x=3" in str(info.value)


def test_dirichlet_residual_with_constant_and_callable_values():
    d = Domain(x=(-1, 1), t=(0, 1))
    pts = [[-1.0, 0.2], [1.0, 0.6]]
    f = fields_of(d, pts, lambda x, t: x * torch.exp(t))
    np.testing.assert_allclose(numpy_of(Dirichlet("u", on="x=min", value=1.5).residual(f, NO_PARAMS, d)),
                               [-math.exp(0.2) - 1.5, math.exp(0.6) - 1.5], rtol=1e-14)
    exact = Dirichlet("u", on="x=min", value=lambda f, p: f.x * torch.exp(p.k * f.t))
    np.testing.assert_allclose(numpy_of(exact.residual(f, Params({"k": 1.0}), d)), 0.0, atol=1e-15)
    wrong = exact.residual(f, Params({"k": 2.0}), d)
    np.testing.assert_allclose(numpy_of(wrong), [-math.exp(0.2) + math.exp(0.4), math.exp(0.6) - math.exp(1.2)],
                               rtol=1e-14)


def test_dirichlet_residual_is_differentiable_through_the_field():
    d = Domain(x=(-1, 1))
    a = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    pts = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    f = Fields(pts, lambda q: a * q ** 2, ["u"], ["x"])
    loss = (Dirichlet("u", on=["x=min", "x=max"], value=1.0).residual(f, NO_PARAMS, d) ** 2).mean()
    (grad,) = torch.autograd.grad(loss, a)
    assert grad.item() == pytest.approx(2 * (3.0 - 1.0))  # d/da mean((a - 1)^2)


# ---------------------------------------------------------------------------------------------
# Neumann


def test_neumann_outward_normal_for_x_squared_on_0_2():
    d = Domain(x=(0, 2))
    f = fields_of(d, PointSet(np.array([[0.0], [2.0]]), {"normal": np.array([[-1.0], [1.0]])}), lambda x: x ** 2)
    r = Neumann("u", on=["x=min", "x=max"]).residual(f, NO_PARAMS, d)
    np.testing.assert_allclose(numpy_of(r), [0.0, 4.0], atol=1e-15)


def test_neumann_outward_normal_flips_sign_on_the_lower_side():
    d = Domain(x=(-1, 1))
    points = PointSet(np.array([[-1.0], [1.0], [-1.0]]), {"normal": np.array([[-1.0], [1.0], [-1.0]])})
    f = fields_of(d, points, lambda x: x)
    r = Neumann("u", on=["x=min", "x=max"]).residual(f, NO_PARAMS, d)
    np.testing.assert_allclose(numpy_of(r), [-1.0, 1.0, -1.0], atol=1e-15)
    r = Neumann("u", on=["x=min", "x=max"], value=1.0).residual(f, NO_PARAMS, d)
    np.testing.assert_allclose(numpy_of(r), [-2.0, 0.0, -2.0], atol=1e-15)


def test_neumann_in_two_dimensions_picks_the_normal_of_each_side():
    d = Domain(x=(0, 2), y=(-1, 1))
    sampler = Sampler("sobol", seed=0)
    c = Neumann("u", on=["x=max", "y=min", "x=min", "y=max"], value=lambda f, p: p.g)
    points = sample(c, sampler, d, 16)
    f = fields_of(d, points, lambda x, y: x ** 2 + 3 * y + x * y)
    r = numpy_of(c.residual(f, Params({"g": 0.5}), d))
    x, y = points.points[:, 0], points.points[:, 1]
    # ∂u/∂x = 2x + y, ∂u/∂y = 3 + x ; outward normals +x, -y, -x, +y
    expected = np.concatenate([(2 * x + y)[:4], -(3 + x)[4:8], -(2 * x + y)[8:12], (3 + x)[12:]]) - 0.5
    np.testing.assert_allclose(r, expected, rtol=1e-13, atol=1e-13)


def test_neumann_recognises_sides_in_float32_for_bounds_not_exact_in_binary():
    d = Domain(x=(0.1, 0.7), t=(0, 0.3))
    c = Neumann("u", on=["x=min", "x=max"])
    points = sample(c, Sampler("sobol", seed=1), d, 8)
    f = fields_of(d, points, lambda x, t: x ** 2 + t, dtype=torch.float32)
    r = numpy_of(c.residual(f, NO_PARAMS, d))
    np.testing.assert_allclose(r, [-0.2] * 4 + [1.4] * 4, rtol=1e-6)


def test_neumann_keeps_its_normals_when_float32_points_move_to_float64():
    """The L-BFGS phase may move float32 points to float64: 0.1 then reads 0.10000000149..., not the
    bound 0.1. The flux must still be taken along the normal (it was lost when sides were found by
    comparing coordinates with the bound)."""
    d = Domain(x=(0.1, 0.7), t=(0, 0.3))
    c = Neumann("u", on=["x=min", "x=max"])
    points = sample(c, Sampler("sobol", seed=1), d, 8).map(lambda a: torch.tensor(a, dtype=torch.float32))
    promoted = points.map(lambda t: t.to(torch.float64))
    f = fields_of(d, promoted.map(lambda t: t.numpy()), lambda x, t: x ** 2 + t)
    x = promoted.points[:, 0].numpy()
    np.testing.assert_allclose(numpy_of(c.residual(f, NO_PARAMS, d)), np.concatenate([-2 * x[:4], 2 * x[4:]]), rtol=1e-12)


def test_neumann_on_x_max_at_a_corner_uses_the_x_normal_only():
    d = Domain(x=(0, 1), t=(0, 1))
    pts = d.grid({"x": np.array([1.0]), "t": np.array([0.0, 0.5, 1.0])})  # x=max, including the corners
    f = fields_of(d, PointSet(pts, {"normal": np.tile([1.0, 0.0], (3, 1))}), lambda x, t: 2 * x + 5 * t)
    r = Neumann("u", on="x=max").residual(f, NO_PARAMS, d)
    np.testing.assert_allclose(numpy_of(r), [2.0, 2.0, 2.0], atol=1e-15)


def test_neumann_term_reads_the_normal_derivatives_and_its_value():
    d = Domain(x=(0, 1), y=(0, 1), t=(0, 1))
    term = Neumann("u", on=["x=max", "y=min"], value=0.0).term("wall", d)
    assert term.reads == {"u_x", "u_y"} and term.point_set == "wall"
    assert Neumann("u", on="x=max", value=lambda f, p: f.x).term("wall", d).reads is None  # a callable: unknown


# ---------------------------------------------------------------------------------------------
# Periodic


def test_periodic_sample_pairs_points_on_opposite_sides():
    d = Domain(x=(-1, 3), t=(0, 1))
    c = Periodic("u", variable="x")
    assert c.sides(d) == [Side("x", False)]
    pts = sample(c, Sampler("sobol", seed=3), d, 8).points
    assert pts.shape == (2, 8, 2)
    lower, upper = pts
    assert np.all(lower[:, 0] == -1) and np.all(upper[:, 0] == 3)
    np.testing.assert_array_equal(lower[:, 1], upper[:, 1])
    assert len(np.unique(lower[:, 1])) == 8


def test_periodic_residual_vanishes_for_a_periodic_function():
    d = Domain(x=(-1, 1), t=(0, 1))
    c = Periodic("u", variable="x", derivatives=2)
    points = sample(c, Sampler("halton", seed=0), d, 10)
    f = fields_of(d, points, lambda x, t: torch.sin(math.pi * x) * torch.exp(t) + torch.cos(2 * math.pi * x) * t)
    r = c.residual(f, NO_PARAMS, d)
    assert r.shape == (30,)  # value, first and second derivative, 10 pairs each
    np.testing.assert_allclose(numpy_of(r), 0.0, atol=1e-12)


def test_periodic_residual_of_non_periodic_functions():
    d = Domain(x=(-1, 1), t=(0, 1))
    c = Periodic("u", variable="x", derivatives=1)
    points = sample(c, Sampler("sobol", seed=0), d, 4)
    f = fields_of(d, points, lambda x, t: x + t)
    # u jumps by 2 across the period, u_x = 1 does not
    np.testing.assert_allclose(numpy_of(c.residual(f, NO_PARAMS, d)), [2.0] * 4 + [0.0] * 4, atol=1e-15)
    f = fields_of(d, points, lambda x, t: x ** 2 * (1 + t))
    # u matches, u_x = 2x(1+t) jumps by 4(1+t)
    t = points.points[0, :, 1]
    np.testing.assert_allclose(numpy_of(c.residual(f, NO_PARAMS, d)), np.concatenate([0 * t, 4 * (1 + t)]),
                               atol=1e-14)


def test_periodic_derivatives_zero_compares_values_only():
    d = Domain(x=(0, 1))
    c = Periodic("u", variable="x", derivatives=0)
    points = sample(c, Sampler("uniform", seed=0), d, 3)
    f = fields_of(d, points, lambda x: x ** 2 - x)  # equal at 0 and 1, slopes -1 and +1
    r = c.residual(f, NO_PARAMS, d)
    assert r.shape == (3,)
    np.testing.assert_allclose(numpy_of(r), 0.0, atol=1e-15)


def test_periodic_on_unknown_variable_is_a_spec_error():
    with pytest.raises(SpecError):
        Periodic("u", variable="y").sides(Domain(x=(-1, 1)))


# ---------------------------------------------------------------------------------------------
# Problem


DOMAIN = Domain(x=(-1, 1), t=(0, 1))


def test_single_residual_is_named_pde():
    p = Problem(DOMAIN, ["u"], pde, [Initial("u"), Dirichlet("u", on=["x=min", "x=max"])])
    assert list(p.residuals) == ["pde"] and p.residuals["pde"] is pde
    assert p.condition_names == ["initial", "dirichlet"]
    assert p.term_names == ["pde", "initial", "dirichlet"]


def test_named_residuals_keep_their_names_and_order():
    r = {"momentum": pde, "mass": pde}
    p = Problem(DOMAIN, ["u", "v"], r, [Neumann("v", on="x=max")], params={"nu": 0.1})
    assert p.term_names == ["momentum", "mass", "neumann"]
    assert p.params.nu == 0.1
    r["extra"] = pde
    assert "extra" not in p.residuals  # copied


def test_duplicate_kinds_are_numbered_in_order():
    conditions = [Dirichlet("u", on="x=min"), Initial("u"), Dirichlet("u", on="x=max"),
                  Initial("u", order=1), Periodic("u"), Dirichlet("u", on="t=max")]
    p = Problem(DOMAIN, ["u"], pde, conditions)
    assert p.condition_names == ["dirichlet_1", "initial_1", "dirichlet_2", "initial_2", "periodic", "dirichlet_3"]


def test_explicit_names_are_used():
    conditions = [Dirichlet("u", on="x=min", name="left"), Dirichlet("u", on="x=max", name="right"),
                  Dirichlet("u", on="t=max")]
    p = Problem(DOMAIN, ["u"], pde, conditions)
    assert p.condition_names == ["left", "right", "dirichlet"]


def test_explicit_name_used_twice_is_a_spec_error():
    conditions = [Dirichlet("u", on="x=min", name="wall"), Dirichlet("u", on="x=max", name="wall")]
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, ["u"], pde, conditions)
    assert info.value.path == "conditions[0].name"
    assert "'wall'" in str(info.value)


def test_explicit_name_equal_to_an_unnamed_kind_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, ["u"], pde, [Dirichlet("u", on="x=max"), Neumann("u", on="x=min", name="dirichlet")])
    assert info.value.path == "conditions[1].name"


def test_generated_name_clashing_with_an_explicit_name():
    conditions = [Dirichlet("u", on="x=min"), Dirichlet("u", on="x=max"), Neumann("u", on="x=max", name="dirichlet_1")]
    try:
        names = Problem(DOMAIN, ["u"], pde, conditions).condition_names
    except SpecError:
        return
    assert len(set(names)) == len(names), names


def test_condition_name_clashing_with_a_residual_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, ["u"], pde, [Initial("u", name="pde")])
    assert info.value.path == "conditions[0].name" and "'pde'" in str(info.value)
    with pytest.raises(SpecError):
        Problem(DOMAIN, ["u"], {"initial": pde}, [Initial("u")])


def test_unknown_field_in_a_condition_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, ["u", "v"], pde, [Initial("u"), Dirichlet("w", on="x=min")])
    assert info.value.path == "conditions[1].field"
    assert "'w'" in str(info.value) and "u, v" in str(info.value)


def test_condition_off_the_box_is_rejected_by_the_problem():
    with pytest.raises(SpecError):
        Problem(DOMAIN, ["u"], pde, [Initial("u"), Dirichlet("u", on="x=2")])
    with pytest.raises(SpecError):
        Problem(Domain(x=(0, 1)), ["u"], pde, [Initial("u")])  # no t


def test_condition_off_the_box_names_the_condition_path():
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, ["u"], pde, [Initial("u"), Dirichlet("u", on="x=2")])
    assert info.value.path == "conditions[1].on"


@pytest.mark.parametrize("fields, index", [
    (["u", "u"], 0),
    (["u", "x"], 1),          # same as a variable
    (["u", "2v"], 1),         # not an identifier
    (["u", "v", "u"], 0),
])
def test_bad_field_names(fields, index):
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, fields, pde)
    assert info.value.path == f"fields[{index}]"


def test_no_fields_or_no_residuals_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, [], pde)
    assert info.value.path == "fields"
    with pytest.raises(SpecError) as info:
        Problem(DOMAIN, ["u"], {})
    assert info.value.path == "pde"


def test_residuals_are_read_only():
    p = Problem(DOMAIN, ["u"], pde)
    with pytest.raises(TypeError):
        p.residuals["other"] = pde


# -- unknown parameters ------------------------------------------------------------------------------

def test_an_unknown_is_read_through_its_parametrisation():
    plain, positive, bounded = Unknown(-0.5), Unknown(0.2, positive=True), Unknown(0.25, bounds=(0.0, 1.0))
    assert plain.raw.item() == -0.5 and plain.value() is plain.raw
    assert positive.raw.item() == pytest.approx(math.log(0.2), abs=1e-15)
    assert bounded.raw.item() == pytest.approx(math.log(1 / 3), abs=1e-15)  # sigmoid(r) = 0.25
    p = Params({"a": plain, "b": positive, "c": bounded, "k": 3.0})
    assert p.numbers() == pytest.approx({"a": -0.5, "b": 0.2, "c": 0.25, "k": 3.0}, abs=1e-15)
    assert set(p.trainable()) == {"a", "b", "c"} and p.trainable()["b"] is positive.raw
    # every value of the raw tensor maps inside the constraint, and the value follows the raw tensor
    with torch.no_grad():
        positive.raw.fill_(-50.0)
        bounded.raw.fill_(40.0)
    assert 0 < p.b < 1e-20 and 0.0 < p.c <= 1.0
    (gradient,) = torch.autograd.grad(p.b, positive.raw)
    assert gradient.item() == pytest.approx(math.exp(-50.0), rel=1e-15)  # d exp(r)/dr = exp(r)


@pytest.mark.parametrize("arguments, message", [
    ({"initial": float("nan")}, "initial value must be a finite number"),
    ({"initial": 0.0, "positive": True}, "initial value of a positive parameter must be > 0"),
    ({"initial": 1.0, "bounds": (0.0, 1.0)}, "must lie strictly inside the bounds"),
    ({"initial": 0.5, "bounds": (1.0, 0.0)}, "lo < hi"),
    ({"initial": 0.5, "positive": True, "bounds": (0.0, 1.0)}, "give positive or bounds, not both"),
])
def test_bad_unknowns_are_refused(arguments, message):
    with pytest.raises(ValueError) as caught:
        Unknown(**arguments)
    assert message in str(caught.value)


def test_reference_params_must_name_trained_parameters():
    with pytest.raises(SpecError, match="reference_params.k: 'k' is not a trained parameter"):
        Problem(DOMAIN, ["u"], lambda f, p: f.u, params={"k": 1.0}, reference_params={"k": 2.0})
