"""The ``geometry`` section of a spec: every shape kind and set operation, boundary parts in ``on``,
Robin conditions with expressions, and each mistake refused at its field path."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from pinnsolve.derivatives import Fields
from pinnsolve.domain import Side
from pinnsolve.errors import SpecError
from pinnsolve.geometry import Ball, Box, Difference, Intersection, Polygon, Union
from pinnsolve.problem import Dirichlet, Initial, Neumann, Robin
from pinnsolve.sampling import Sampler
from pinnsolve.spec import build_spec, load_spec
from pinnsolve.terms import OnBoundary, OnSides

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
DISK = {"disk": {"center": [0, 0], "radius": 1}}
ROOM = [[-1, -1], [1, -1], [1, 0], [0, 0], [0, 1], [-1, 1]]


def spec_on(shape, over=("x", "y"), conditions=None, **changes):
    """A Poisson-like spec over ``shape`` in the variables ``over``; ``changes`` replace or add
    top-level sections (``variables`` for intervals)."""
    document = {"geometry": {"variables": list(over), **shape}, "fields": ["u"],
                "pde": " + ".join(f"u_{v}{v}" for v in over) + " + 1",
                "conditions": conditions if conditions is not None else [{"type": "dirichlet", "on": "boundary"}]}
    return build_spec({**document, **changes})


def refusal(shape=None, over=("x", "y"), conditions=None, **changes):
    """(path, message) of the SpecError the spec raises."""
    with pytest.raises(SpecError) as caught:
        spec_on(DISK if shape is None else shape, over, conditions, **changes)
    return caught.value.path, caught.value.message


def residual_at(term, domain, point_set, function, params):
    """A term's residual at a sampled point set, for a field given as a torch function of the coordinates."""
    points = point_set.map(lambda a: torch.tensor(a, dtype=torch.float64))
    network = lambda q: function(*q.unbind(-1)).unsqueeze(-1)  # noqa: E731
    f = Fields(points.points, network, ["u"], domain.variables, points.data)
    return term.residual(f, params).detach().numpy()


# -- each shape --------------------------------------------------------------------------------

def test_disk():
    domain = spec_on({"disk": {"center": [1, -2], "radius": 0.5}}).problem.domain
    assert isinstance(domain.shape, Ball)
    np.testing.assert_array_equal(domain.shape.center, [1, -2])
    assert domain.shape.radius == 0.5 and domain.shape.name == "disk"
    assert domain.variables == ["x", "y"] and domain.interval_variables == []
    assert domain.bounds == {"x": (0.5, 1.5), "y": (-2.5, -1.5)}
    assert domain.part_names == ["boundary", "disk"]


def test_box():
    domain = spec_on({"box": {"min": [0, -1], "max": [2, 1], "name": "plate"}}).problem.domain
    assert isinstance(domain.shape, Box)
    assert domain.bounds == {"x": (0.0, 2.0), "y": (-1.0, 1.0)}
    assert domain.part_names == ["boundary", "plate"]


def test_ball_in_three_dimensions():
    spec = spec_on({"ball": {"center": [0, 0, 1], "radius": 2, "name": "sphere"}}, over=("x", "y", "z"),
                   conditions=[{"type": "neumann", "on": "sphere"}])
    domain = spec.problem.domain
    assert isinstance(domain.shape, Ball) and domain.shape.dim == 3
    assert domain.variables == ["x", "y", "z"]
    assert domain.bounds["z"] == (-1.0, 3.0)
    assert spec.problem.conditions[0].where(domain) == OnBoundary(frozenset({"sphere"}))


def test_a_ball_in_the_plane_keeps_its_name_ball():
    domain = spec_on({"ball": {"center": [0, 0], "radius": 1}}).problem.domain
    assert domain.part_names == ["boundary", "ball"]


def test_polygon_with_named_edges():
    spec = spec_on({"polygon": {"vertices": ROOM, "name": "room",
                                "edges": ["bottom", "right", "notch_bottom", "notch_side", "top", "left"]}},
                   conditions=[{"type": "dirichlet", "on": ["room.top", "room.left"], "name": "walls"},
                               {"type": "neumann", "on": "room.bottom", "name": "floor"}])
    domain = spec.problem.domain
    assert isinstance(domain.shape, Polygon)
    assert domain.part_names == ["boundary", "room", "room.bottom", "room.right", "room.notch_bottom",
                                 "room.notch_side", "room.top", "room.left"]
    walls, floor = spec.problem.conditions
    assert walls.on == ["room.top", "room.left"]
    assert walls.where(domain) == OnBoundary(frozenset({"room.top", "room.left"}))
    assert floor.where(domain) == OnBoundary(frozenset({"room.bottom"}))
    assert domain.inside(np.array([[-0.5, 0.5], [0.5, 0.5], [0.5, -0.5]])).tolist() == [True, False, True]


def test_polygon_edges_are_numbered_by_default():
    domain = spec_on({"polygon": {"vertices": [[0, 0], [1, 0], [0, 1]]}}).problem.domain
    assert domain.part_names == ["boundary", "polygon", "polygon.1", "polygon.2", "polygon.3"]


@pytest.mark.parametrize("kind, cls, inside, outside", [
    ("union", Union, [[-0.9, 0.0], [1.9, 0.0], [1.0, 0.0]], [[0.5, 0.9], [3.5, 0.0]]),
    ("intersection", Intersection, [[0.5, 0.0], [0.5, 0.5]], [[-0.9, 0.0], [1.9, 0.0]]),
    ("difference", Difference, [[-0.9, 0.0], [0.0, 0.9]], [[0.5, 0.0], [1.9, 0.0]]),
])
def test_operations(kind, cls, inside, outside):
    shapes = [{"disk": {"center": [0, 0], "radius": 1, "name": "left"}},
              {"disk": {"center": [1, 0], "radius": 1, "name": "right"}}]
    domain = spec_on({kind: shapes}, conditions=[{"type": "dirichlet", "on": "left"}]).problem.domain
    assert isinstance(domain.shape, cls)
    assert domain.part_names == ["boundary", "left", "right"]
    assert domain.inside(np.array(inside)).all() and not domain.inside(np.array(outside)).any()
    lower, upper = {"union": ([-1, -1], [2, 1]), "intersection": ([0, -1], [1, 1]),
                    "difference": ([-1, -1], [1, 1])}[kind]
    np.testing.assert_array_equal(domain.lower, lower)
    np.testing.assert_array_equal(domain.upper, upper)


def test_nested_operations():
    # (a plate with two holes) ∪ a tab to its right, minus a triangular notch out of the tab
    shape = {"difference": [
        {"union": [
            {"difference": [{"box": {"min": [-1, -1], "max": [1, 1], "name": "plate"}},
                            {"disk": {"center": [-0.5, 0], "radius": 0.2, "name": "hole_a"}},
                            {"disk": {"center": [0.5, 0], "radius": 0.2, "name": "hole_b"}}]},
            {"box": {"min": [1, -0.5], "max": [2, 0.5], "name": "tab"}}]},
        {"polygon": {"vertices": [[1.5, -0.2], [2, 0], [1.5, 0.2]], "name": "notch",
                     "edges": ["low", "back", "high"]}}]}
    spec = spec_on(shape, conditions=[{"type": "dirichlet", "on": ["hole_a", "hole_b"], "name": "holes"},
                                      {"type": "neumann", "on": ["notch.low", "notch.high"], "name": "notch"},
                                      {"type": "dirichlet", "on": ["plate", "tab"], "name": "outer"}])
    domain = spec.problem.domain
    assert domain.part_names == ["boundary", "plate", "hole_a", "hole_b", "tab", "notch", "notch.low", "notch.back",
                                 "notch.high"]
    assert domain.bounds == {"x": (-1.0, 2.0), "y": (-1.0, 1.0)}
    np.testing.assert_array_equal(domain.inside(np.array([[0.0, 0.0], [-0.5, 0.0], [0.5, 0.05], [1.2, 0.0],
                                                          [1.8, 0.0], [1.5, 0.8]])),
                                  [True, False, False, True, False, False])
    assert spec.problem.conditions[1].where(domain) == OnBoundary(frozenset({"notch.low", "notch.high"}))
    points = Sampler("sobol", 0).interior(domain, 400)
    assert domain.inside(points).all()


def test_a_numbered_edge_is_a_part_of_its_own():
    spec = spec_on({"polygon": {"vertices": [[0, 0], [1, 0], [0, 1]], "name": "tri"}},
                   conditions=[{"type": "dirichlet", "on": "tri.2"}])
    assert spec.problem.conditions[0].where(spec.problem.domain) == OnBoundary(frozenset({"tri.2"}))


# -- variables, conditions and evaluation with a geometry ----------------------------------------

def test_variables_are_optional_with_a_geometry():
    spec = spec_on(DISK)
    assert spec.problem.domain.variables == ["x", "y"]
    assert set(spec.axes) == {"x", "y"}


def test_variables_add_intervals_after_the_shape_variables():
    spec = spec_on(DISK, pde="u_t - u_xx - u_yy", variables={"t": [0, 2]},
                   conditions=[{"type": "initial", "value": "x*y"}, {"type": "dirichlet", "on": "disk", "name": "rim"}])
    domain = spec.problem.domain
    assert domain.variables == ["x", "y", "t"]
    assert domain.interval_variables == ["t"]
    assert domain.bounds["t"] == (0.0, 2.0)
    initial, rim = spec.problem.conditions
    assert isinstance(initial, Initial) and initial.where(domain) == OnSides((Side("t", False),))
    assert isinstance(rim, Dirichlet) and rim.where(domain) == OnBoundary(frozenset({"disk"}))
    assert spec.problem.term_names == ["pde", "initial", "rim"]


def test_the_evaluation_grid_spans_the_bounding_box():
    spec = spec_on({"disk": {"center": [2, 0], "radius": 0.5}}, evaluation={"grid": {"x": 5, "y": 3}})
    np.testing.assert_allclose(spec.axes["x"], [1.5, 1.75, 2.0, 2.25, 2.5])
    np.testing.assert_allclose(spec.axes["y"], [-0.5, 0.0, 0.5])


def test_on_a_side_of_an_interval_with_a_geometry():
    spec = spec_on(DISK, pde="u_t - u_xx - u_yy", variables={"t": [0, 1]},
                   conditions=[{"type": "neumann", "on": "t=max"}])
    condition = spec.problem.conditions[0]
    assert isinstance(condition, Neumann)
    assert condition.where(spec.problem.domain) == OnSides((Side("t", True),))


def test_robin_with_expressions_on_a_hole():
    shape = {"difference": [{"box": {"min": [-1, -1], "max": [1, 1], "name": "plate"}},
                            {"disk": {"center": [0, 0], "radius": 0.4, "name": "hole"}}]}
    spec = spec_on(shape, params={"h": 3.0}, conditions=[
        {"type": "dirichlet", "on": "plate", "value": "exp(x)*sin(y)", "name": "edges"},
        {"type": "robin", "on": "hole", "a": "h*x", "b": "1 + y**2", "value": "x*y", "name": "hole"}])
    problem, domain = spec.problem, spec.problem.domain
    robin = problem.conditions[1]
    assert isinstance(robin, Robin)
    term = problem.terms[problem.term_names.index("hole")]
    assert term.reads == {"u", "u_x", "u_y"}
    point_set = term.where.sample(Sampler("sobol", seed=2), domain, 64)
    x, y = point_set.points.T
    np.testing.assert_allclose(np.hypot(x, y), 0.4, atol=1e-12)
    r = residual_at(term, domain, point_set, lambda x, y: x ** 2 + 3 * y, problem.params)
    flux = -(x * 2 * x + y * 3) / 0.4  # n = -(x, y)/0.4 on the hole: out of the plate
    np.testing.assert_allclose(r, 3.0 * x * (x ** 2 + 3 * y) + (1 + y ** 2) * flux - x * y, rtol=1e-12, atol=1e-12)


def test_robin_with_numbers_and_defaults():
    spec = spec_on(DISK, conditions=[{"type": "robin", "on": "boundary", "a": 2, "value": 0.5}])
    robin = spec.problem.conditions[0]
    assert (robin.a, robin.b, robin.value) == (2.0, 1.0, 0.5)
    term = spec.problem.terms[1]
    domain = spec.problem.domain
    point_set = term.where.sample(Sampler("sobol", seed=0), domain, 32)
    x, y = point_set.points.T
    r = residual_at(term, domain, point_set, lambda x, y: x * y, spec.problem.params)
    # a·u + b·n·∇u with n = (x, y) on the unit circle: n·∇(xy) = 2xy
    np.testing.assert_allclose(r, 2 * x * y + (x * y + y * x) - 0.5, rtol=1e-12, atol=1e-12)


def test_bundled_geometry_problems_load():
    shapes = {"poisson_disk": (Ball, ["x", "y"]), "plate_hole": (Difference, ["x", "y"]),
              "l_shape": (Polygon, ["x", "y"]), "heat_disk": (Ball, ["x", "y", "t"])}
    for name, (cls, variables) in shapes.items():
        spec = load_spec(PROBLEMS / f"{name}.yaml")
        assert isinstance(spec.problem.domain.shape, cls), name
        assert spec.problem.domain.variables == variables, name
    hole = load_spec(PROBLEMS / "plate_hole.yaml").problem.conditions[1]
    assert isinstance(hole, Robin) and hole.where(load_spec(PROBLEMS / "plate_hole.yaml").problem.domain) == \
        OnBoundary(frozenset({"hole"}))


def test_the_resolved_spec_rebuilds_the_same_domain():
    spec = spec_on({"union": [DISK, {"box": {"min": [0, -0.5], "max": [2, 0.5], "name": "tab"}}]},
                   variables={"t": [0, 1]}, pde="u_t - u_xx - u_yy")
    again = build_spec(yaml.safe_load(spec.text))
    assert again.problem.domain.bounds == spec.problem.domain.bounds
    assert again.problem.domain.part_names == spec.problem.domain.part_names == ["boundary", "disk", "tab"]
    assert again.problem.domain.variables == ["x", "y", "t"]


# -- refusals ----------------------------------------------------------------------------------

SHAPE_LIST = "box, disk, ball, polygon, union, intersection, difference"


@pytest.mark.parametrize("shape, path, message", [
    ({"disk": {"center": [0, 0], "radius": 1}, "box": {"min": [0, 0], "max": [1, 1]}},
     "geometry", f"give exactly one shape ({SHAPE_LIST}), got 2"),
    ({}, "geometry", f"give exactly one shape ({SHAPE_LIST}), got 0"),
    ({"circle": {"center": [0, 0], "radius": 1}},
     "geometry.circle", f"unknown key; expected one of: variables, {SHAPE_LIST}"),
    ({"disk": {"center": [0, 0, 0], "radius": 1}},
     "geometry.disk.center", "a disk's center is a point [x, y] of the plane (use ball in other dimensions)"),
    ({"disk": {"center": [0, 0], "radius": -1}}, "geometry.disk.radius", "must be positive, got -1"),
    ({"disk": {"center": [0, 0], "radius": 0}}, "geometry.disk.radius", "must be positive, got 0"),
    ({"disk": {"center": [0, 0]}}, "geometry.disk.radius", "missing (required)"),
    ({"polygon": {"vertices": [[0, 0], [1, 1], [1, 0], [0, 1]]}},
     "geometry.polygon", "a polygon must be simple: distinct consecutive vertices, edges that do not cross"),
    ({"polygon": {"vertices": [[0, 0], [1, 0], [0, 1]], "edges": ["a", "a", "b"]}},
     "geometry.polygon", "a polygon with 3 vertices needs 3 distinct edge names (identifiers)"),
    ({"box": {"min": [0, 0], "max": [1, 1], "center": [0, 0]}},
     "geometry.box.center", "unknown key; expected one of: min, max, name"),
    ({"disk": {"center": [0, 0], "radius": 1, "name": "boundary"}},
     "geometry.disk", "a shape's name must be an identifier other than 'boundary', got 'boundary'"),
    ({"union": [DISK]}, "geometry.union", "union takes two or more shapes"),
    ({"union": DISK}, "geometry.union", "expected a list, got a dict"),
    ({"difference": [DISK, {"box": {"min": [0, 0], "max": [0, 1]}}]},
     "geometry.difference[1].box", "a box's lower corner must lie below its upper corner in every coordinate"),
    ({"intersection": [DISK, {**DISK, "box": {"min": [0, 0], "max": [1, 1]}}]},
     "geometry.intersection[1]",
     "expected one shape as a mapping such as {disk: {center: [0, 0], radius: 1}}, got 2 keys"),
    ({"intersection": [DISK, {"disk": {"center": [5, 0], "radius": 1}}]},
     "geometry.intersection", "this intersection is empty"),
    ({"union": [DISK, {"ball": {"center": [0, 0, 0], "radius": 1}}]},
     "geometry.union", "union of shapes of different dimensions (2, 3)"),
])
def test_bad_shapes(shape, path, message):
    assert refusal(shape) == (path, message)


def test_geometry_needs_its_variables():
    with pytest.raises(SpecError) as caught:
        build_spec({"geometry": DISK, "fields": ["u"], "pde": "u_xx + u_yy"})
    assert (caught.value.path, caught.value.message) == ("geometry.variables", "missing (required)")


def test_variables_stay_required_without_a_geometry():
    with pytest.raises(SpecError) as caught:
        build_spec({"fields": ["u"], "pde": "u_xx"})
    assert (caught.value.path, caught.value.message) == ("variables", "missing (required)")


def test_a_variable_declared_in_both_places():
    assert refusal(variables={"y": [0, 1], "t": [0, 1]}) == (
        "geometry.variables[1]", "'y' is also declared in variables: declare it in one place")


@pytest.mark.parametrize("variables, dim", [(("x",), 2), (("x", "y", "z"), 2)])
def test_geometry_variables_must_match_the_dimension(variables, dim):
    assert refusal(over=variables, pde="u_xx + 1") == ("geometry.variables",
                                                            f"the shape is {dim}-dimensional: name {dim} variables")


def test_geometry_variables_must_be_distinct():
    assert refusal(over=("x", "x"), pde="u_xx + 1") == ("geometry.variables[0]",
                                                             "a variable name must be a plain identifier, used once")


def test_unknown_boundary_part_lists_the_parts():
    shape = {"difference": [{"box": {"min": [-1, -1], "max": [1, 1], "name": "plate"}},
                            {"disk": {"center": [0, 0], "radius": 0.4, "name": "hole"}}]}
    assert refusal(shape, conditions=[{"type": "dirichlet", "on": "holes"}]) == (
        "conditions[0].on", "no boundary part named 'holes'; parts are boundary, hole, plate")
    two = [{"type": "dirichlet", "on": "plate"}, {"type": "neumann", "on": ["hole", "rim"]}]
    assert refusal(shape, conditions=two) == (
        "conditions[1].on[1]", "no boundary part named 'rim'; parts are boundary, hole, plate")


def test_mixing_a_side_and_a_part_in_one_on():
    assert refusal(conditions=[{"type": "dirichlet", "on": ["t=min", "disk"]}], pde="u_t - u_xx - u_yy",
                   variables={"t": [0, 1]}) == (
        "conditions[0].on", "mixes sides of intervals and parts of the geometry's boundary: write one condition for each")


@pytest.mark.parametrize("on, path", [("x=min", "conditions[0].on"), (["disk", "y=1"], "conditions[0].on[1]")])
def test_a_side_of_a_shape_variable(on, path):
    variable = "x" if on == "x=min" else "y"
    assert refusal(conditions=[{"type": "dirichlet", "on": on}]) == (
        path, f"{variable} is a variable of the geometry, which has no sides (its boundary has parts: boundary, disk)")


def test_an_empty_on_with_a_geometry_asks_for_a_part():
    assert refusal(conditions=[{"type": "dirichlet", "on": []}]) == (
        "conditions[0].on", "name at least one boundary part, e.g. 'boundary'")


def test_robin_coefficients_may_not_read_fields():
    path, message = refusal(conditions=[{"type": "robin", "on": "disk", "b": "u_x"}])
    assert path == "conditions[0].b" and message.startswith("unknown symbol 'u_x'")


def test_robin_takes_only_its_keys():
    path, message = refusal(conditions=[{"type": "robin", "on": "disk", "c": 1}])
    assert path == "conditions[0].c" and message == "unknown key; expected one of: type, field, name, on, a, b, value"


def test_periodic_along_a_shape_variable_is_refused_and_along_time_accepted():
    path, message = refusal(conditions=[{"type": "periodic", "variable": "x"}])
    assert path == "conditions[0].variable"
    assert message.startswith("x is a variable of the geometry, which has no sides")
    spec = spec_on(DISK, pde="u_t - u_xx - u_yy", variables={"t": [0, 1]},
                   conditions=[{"type": "periodic", "variable": "t", "derivatives": 0}])
    pairs = spec.problem.conditions[0].where(spec.problem.domain).sample(Sampler("sobol", 0), spec.problem.domain, 16)
    lower, upper = pairs.points
    assert np.all(lower[:, 2] == 0.0) and np.all(upper[:, 2] == 1.0)
    np.testing.assert_array_equal(lower[:, :2], upper[:, :2])
    assert spec.problem.domain.inside(lower).all()


def test_an_initial_condition_needs_a_time_interval_beside_the_geometry():
    assert refusal(conditions=[{"type": "initial"}]) == (
        "conditions[0].variable", "missing: there is no variable 't'; say which variable")


def test_a_load_spec_error_carries_the_line_of_the_geometry_field(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("fields: [u]\npde: u_xx + u_yy\ngeometry:\n  variables: [x, y]\n"
                    "  disk:\n    center: [0, 0]\n    radius: -2\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value) == "line 7: geometry.disk.radius: must be positive, got -2"


def test_radius_may_be_any_positive_number():
    domain = spec_on({"disk": {"center": [0, 0], "radius": 1e-3}}).problem.domain
    assert domain.bounds["x"] == pytest.approx((-1e-3, 1e-3))
    assert math.isclose(domain.shape.radius, 1e-3)
