"""Domains over a shape (times intervals): variables, bounds, boundary parts and sides, membership;
points sampled on them; conditions on boundary parts checked against hand-derived residuals."""

import copy

import numpy as np
import pytest
import torch

from pinnsolve.derivatives import Fields
from pinnsolve.domain import Domain, Side
from pinnsolve.errors import SpecError
from pinnsolve.geometry import Ball, Box, Difference, Polygon, Union
from pinnsolve.objective import Objective
from pinnsolve.observations import Observations
from pinnsolve.problem import Dirichlet, Initial, Neumann, Params, Problem, Robin
from pinnsolve.sampling import Sampler
from pinnsolve.terms import Interior, OnBoundary, OnSides

NO_PARAMS = Params()
ROOM = [[-1, -1], [1, -1], [1, 0], [0, 0], [0, 1], [-1, 1]]  # [-1, 1]² without its upper right quarter
EDGES = ["bottom", "right", "notch_bottom", "notch_side", "top", "left"]


def disk_in_time(center=(0.0, 0.0), radius=1.0, t=(0.0, 1.0)):
    return Domain(Ball(list(center), radius), ("x", "y"), t=t)


def plate():
    return Domain(Difference(Box([-1, -1], [1, 1], name="plate"), Ball([0, 0], 0.4, name="hole")), ("x", "y"))


def room(**intervals):
    return Domain(Polygon(ROOM, name="room", edges=EDGES), ("x", "y"), **intervals)


class Exact(torch.nn.Module):
    """A 'network' whose single output is an exact function of the coordinates; its one parameter
    changes nothing and is there so that it looks like any other trainable module."""

    def __init__(self, function):
        super().__init__()
        self.function = function
        self.unused = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, points):
        return self.function(*points.unbind(-1)).unsqueeze(-1) + 0 * self.unused


def fields_at(domain, point_set, function):
    points = point_set.map(lambda a: torch.tensor(a, dtype=torch.float64))
    return Fields(points.points, Exact(function), ["u"], domain.variables, points.data)


# -- the domain --------------------------------------------------------------------------------

def test_shape_variables_come_first_then_the_intervals():
    d = Domain(Ball([1, -2], 0.5), ("x", "y"), t=(0, 3), s=(-1, 1))
    assert d.variables == ["x", "y", "t", "s"] and d.dim == 4
    assert d.shape_variables == ("x", "y")
    assert d.interval_variables == ["t", "s"]
    assert d.index("t") == 2


def test_bounds_hold_the_bounding_box_of_the_shape():
    d = Domain(Ball([1, -2], 0.5), ("x", "y"), t=(0, 3))
    assert d.bounds == {"x": (0.5, 1.5), "y": (-2.5, -1.5), "t": (0.0, 3.0)}
    np.testing.assert_array_equal(d.lower, [0.5, -2.5, 0.0])
    np.testing.assert_array_equal(d.upper, [1.5, -1.5, 3.0])
    assert room().bounds == {"x": (-1.0, 1.0), "y": (-1.0, 1.0)}


def test_a_plain_box_has_every_variable_on_an_interval_and_no_parts():
    d = Domain(x=(-1, 1), t=(0, 1))
    assert d.shape is None and d.interval_variables == ["x", "t"] and d.part_names == []


def test_part_names_list_boundary_then_shapes_then_their_parts():
    assert disk_in_time().part_names == ["boundary", "disk"]
    assert plate().part_names == ["boundary", "plate", "hole"]
    assert room().part_names == ["boundary", "room"] + [f"room.{e}" for e in EDGES]


def test_primitives_of_the_same_name_share_one_part():
    d = Domain(Union(Ball([0, 0], 1), Ball([1.5, 0], 1)), ("x", "y"))
    assert d.part_names == ["boundary", "disk"]
    points, _ = Sampler("sobol", 0).on_boundary(d, d.boundary(["disk"]), 200)
    near_first = np.isclose(np.hypot(points[:, 0], points[:, 1]), 1.0)
    near_second = np.isclose(np.hypot(points[:, 0] - 1.5, points[:, 1]), 1.0)
    assert np.all(near_first | near_second) and near_first.any() and near_second.any()


def test_inside_checks_the_shape_and_the_interval_columns():
    d = disk_in_time()
    points = np.array([
        [0.0, 0.0, 0.5],    # centre
        [1.0, 0.0, 0.0],    # on the circle, at t = min: closed domain
        [0.0, -1.0, 1.0],   # on the circle, at t = max
        [0.8, 0.8, 0.5],    # in the bounding box, outside the disk
        [0.0, 0.0, 1.01],   # after the interval
        [0.0, 0.0, -0.01],  # before it
        [1.5, 0.0, 0.5],    # outside the bounding box
    ])
    np.testing.assert_array_equal(d.inside(points), [True, True, True, False, False, False, False])


def test_inside_excludes_a_hole():
    d = plate()
    np.testing.assert_array_equal(d.inside(np.array([[0.0, 0.0], [0.4, 0.0], [0.9, 0.9], [0.2, 0.2]])),
                                  [False, True, True, False])


def test_shape_variables_need_one_name_per_dimension_and_no_clash_with_intervals():
    with pytest.raises(SpecError, match="the shape is 2-dimensional: name 2 variables") as caught:
        Domain(Ball([0, 0], 1), ("x", "y", "z"))
    assert caught.value.path == "geometry.variables"
    with pytest.raises(SpecError, match="used once") as caught:
        Domain(Ball([0, 0], 1), ("x", "t"), t=(0, 1))
    assert caught.value.path == "geometry.variables[1]"
    with pytest.raises(SpecError, match="used once"):
        Domain(Ball([0, 0], 1), ("x", "x"))
    with pytest.raises(SpecError, match="expected a shape"):
        Domain("disk", ("x", "y"))


def test_sides_of_the_intervals_are_still_sides():
    d = disk_in_time(t=(0.5, 2))
    assert d.side("t=min") == Side("t", False)
    assert d.side("t=2") == Side("t", True)
    assert d.side_value(Side("t", False)) == 0.5
    np.testing.assert_array_equal(d.outward_normal(Side("t", False)), [0.0, 0.0, -1.0])


@pytest.mark.parametrize("text", ["x=min", "y=max", "x=0", "y = -1"])
def test_a_side_of_a_shape_variable_is_refused_naming_the_parts(text):
    with pytest.raises(SpecError) as caught:
        plate().side(text, "conditions[0].on")
    variable = text.split("=")[0].strip()
    assert caught.value.path == "conditions[0].on"
    assert caught.value.message == (f"{variable} is a variable of the geometry, which has no sides "
                                    "(its boundary has parts: boundary, plate, hole)")


def test_boundary_resolves_sides_or_parts():
    d = room(t=(0, 2))
    assert d.boundary(["t=min"]) == (Side("t", False),)
    assert d.boundary(["t=min", "t=2"]) == (Side("t", False), Side("t", True))
    assert d.boundary(["room.top", "room.left"]) == {"room.top", "room.left"}
    assert d.boundary(["room"]) == {f"room.{e}" for e in EDGES}
    assert d.boundary(["boundary"]) == {f"room.{e}" for e in EDGES}
    assert plate().boundary(["hole"]) == {"hole"}
    assert plate().boundary(["hole", "plate"]) == plate().boundary(["boundary"]) == {"hole", "plate"}


@pytest.mark.parametrize("domain, texts, message", [
    (room(t=(0, 2)), ["t=min", "room"],
     "mixes sides of intervals and parts of the geometry's boundary: write one condition for each"),
    (room(t=(0, 2)), ["room.top", "x=max"],
     "mixes sides of intervals and parts of the geometry's boundary: write one condition for each"),
    (room(t=(0, 2)), ["door"], "no boundary part named 'door'; parts are boundary, room, room.bottom, room.left, "
                               "room.notch_bottom, room.notch_side, room.right, room.top"),
    (plate(), ["bogus"], "no boundary part named 'bogus'; parts are boundary, hole, plate"),
    (plate(), [], "name at least one boundary part, e.g. 'boundary'"),
    (plate(), ["t=min"], "'t=min' is neither a side nor a boundary part: this domain has no interval variable, "
                         "and its boundary parts are boundary, plate, hole"),
    (room(t=(0, 2)), ["s=0"], "expected a side such as 't=min' or 't=2', got 's=0'"),
    (disk_in_time(), ["t=0.5"], "side 't=0.5' is not a side of the box: t lies in [0, 1]"),
    (disk_in_time(), ["x=1"],
     "x is a variable of the geometry, which has no sides (its boundary has parts: boundary, disk)"),
])
def test_boundary_errors_name_the_path_and_what_is_wrong(domain, texts, message):
    with pytest.raises(SpecError) as caught:
        domain.boundary(texts, "conditions[2].on")
    assert (caught.value.path, caught.value.message) == ("conditions[2].on", message)


# -- sampling ----------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [disk_in_time, plate, lambda: room(t=(0, 2))])
def test_interior_points_lie_inside_and_are_reproducible_by_seed(make):
    d = make()
    points = Sampler("sobol", seed=4).interior(d, 500)
    assert points.shape == (500, d.dim)
    assert d.inside(points).all()
    np.testing.assert_array_equal(points, Sampler("sobol", seed=4).interior(d, 500))
    assert not np.array_equal(points, Sampler("sobol", seed=5).interior(d, 500))


def test_interior_points_cover_the_disk_and_the_interval():
    points = Sampler("sobol", seed=0).interior(disk_in_time(t=(0, 2)), 2000)
    radius = np.hypot(points[:, 0], points[:, 1])
    assert np.mean(radius < np.sqrt(0.5)) == pytest.approx(0.5, abs=0.03)  # half the area inside r = 1/√2
    assert points[:, 2].mean() == pytest.approx(1.0, abs=0.03)
    assert points[:, 2].min() < 0.02 and points[:, 2].max() > 1.98


@pytest.mark.parametrize("kind", ["sobol", "halton", "lhs", "uniform"])
def test_an_initial_side_is_the_shape_interior_at_t_min(kind):
    d = disk_in_time(center=(2.0, -1.0), radius=0.5, t=(0.25, 1.0))
    points = Sampler(kind, seed=1).on_sides(d, [d.side("t=min")], 300)
    assert points.shape == (300, 3)
    assert np.all(points[:, 2] == 0.25)
    assert d.inside(points).all()
    # Spread over the disk, not bunched at its centre or its rim.
    radius = np.hypot(points[:, 0] - 2.0, points[:, 1] + 1.0) / 0.5
    assert np.mean(radius < np.sqrt(0.5)) == pytest.approx(0.5, abs=0.08)


def test_both_ends_of_the_interval_take_half_the_points_each():
    d = disk_in_time(t=(0, 3))
    points = Sampler("sobol", seed=2).on_sides(d, list(d.boundary(["t=min", "t=max"])), 101)
    assert np.all(points[:51, 2] == 0.0) and np.all(points[51:, 2] == 3.0)
    assert d.inside(points).all()


def test_boundary_points_of_a_disk_in_time_have_unit_outward_normals_and_a_spread_time():
    d = disk_in_time(center=(1.0, 2.0), radius=0.5, t=(0.0, 4.0))
    points, normals = Sampler("sobol", seed=0).on_boundary(d, frozenset({"disk"}), 1000)
    assert points.shape == normals.shape == (1000, 3)
    offset = points[:, :2] - [1.0, 2.0]
    np.testing.assert_allclose(np.linalg.norm(offset, axis=1), 0.5, atol=1e-12)
    np.testing.assert_allclose(normals[:, :2], offset / 0.5, atol=1e-12)  # radial: outward
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-12)
    assert np.all(normals[:, 2] == 0.0)
    t = points[:, 2]
    assert np.all((t >= 0.0) & (t <= 4.0))
    assert t.mean() == pytest.approx(2.0, abs=0.05)
    assert t.min() < 0.05 and t.max() > 3.95
    assert len(np.unique(t)) == 1000


# Two separately scrambled one-dimensional Sobol' (or Halton) sequences put their i-th points in
# matching intervals: drawn apart, the time would be (nearly) a function of the angle and the points
# would cover a thin band of the (angle, t) square. Drawn together, they cover all of it.
@pytest.mark.parametrize("kind", ["sobol", "halton", "lhs", "uniform"])
def test_boundary_points_of_a_disk_in_time_cover_every_angle_at_every_time(kind):
    d = disk_in_time(t=(0, 1))
    points, _ = Sampler(kind, seed=0).on_boundary(d, frozenset({"disk"}), 1024)
    angle = np.arctan2(points[:, 1], points[:, 0]) % (2 * np.pi) / (2 * np.pi)
    counts, _, _ = np.histogram2d(angle, points[:, 2], bins=8, range=[[0, 1], [0, 1]])
    assert counts.min() > 0, f"{int((counts > 0).sum())} of 64 cells of (angle, t) hold points"
    assert abs(np.corrcoef(angle, points[:, 2])[0, 1]) < 0.1


def test_boundary_points_on_chosen_edges_of_a_polygon_in_time():
    d = room(t=(0, 1))
    parts = d.boundary(["room.bottom", "room.notch_side"])
    points, normals = Sampler("halton", seed=3).on_boundary(d, parts, 300)
    bottom = np.isclose(points[:, 1], -1.0)
    side = np.isclose(points[:, 0], 0.0) & (points[:, 1] >= 0)
    assert np.all(bottom | side)
    assert bottom.sum() == pytest.approx(200, abs=3) and side.sum() == pytest.approx(100, abs=3)  # by length: 2 and 1
    np.testing.assert_array_equal(normals[bottom], np.tile([0.0, -1.0, 0.0], (bottom.sum(), 1)))
    # out of the room, into the notch
    np.testing.assert_array_equal(normals[side], np.tile([1.0, 0.0, 0.0], (side.sum(), 1)))


def test_boundary_points_of_a_hole_point_into_it():
    d = plate()
    points, normals = Sampler("sobol", seed=0).on_boundary(d, d.boundary(["hole"]), 64)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 0.4, atol=1e-12)
    np.testing.assert_allclose(normals, -points / 0.4, atol=1e-12)


def test_a_shape_without_intervals_gets_no_extra_columns():
    points, normals = Sampler("sobol", seed=0).on_boundary(plate(), frozenset({"plate"}), 40)
    assert points.shape == normals.shape == (40, 2)
    assert np.all(np.isclose(np.abs(points), 1.0).any(axis=1))


def test_a_saved_sampler_continues_with_the_same_shaped_domain_points():
    d = disk_in_time(t=(0, 2))
    parts = frozenset({"disk"})

    def draw(sampler):
        return [sampler.interior(d, 37), *sampler.on_boundary(d, parts, 29),
                sampler.on_sides(d, [Side("t", False)], 13), sampler.on_boundary(d, parts, 8)[0]]

    saved = Sampler("sobol", seed=7)
    draw(saved)
    state = copy.deepcopy(saved.state_dict())
    resumed = Sampler("sobol", seed=7)
    resumed.load_state_dict(state)
    for a, b in zip(draw(saved), draw(resumed)):
        np.testing.assert_array_equal(a, b)


# -- conditions --------------------------------------------------------------------------------

@pytest.mark.parametrize("condition", [Dirichlet("u", on="disk"), Neumann("u", on=["boundary"]),
                                       Robin("u", on="disk", a=2.0, b=1.0)])
def test_conditions_on_parts_are_point_sources_on_the_boundary(condition):
    d = disk_in_time()
    assert condition.where(d) == OnBoundary(frozenset({"disk"}))
    assert condition.normal_variables(d) == ["x", "y"]
    point_set = condition.where(d).sample(Sampler("sobol", 0), d, 16)
    assert set(point_set.data) == {"normal"} and point_set.data["normal"].shape == (16, 3)


def test_conditions_on_interval_sides_stay_on_sides():
    d = disk_in_time()
    c = Neumann("u", on="t=max")
    assert c.where(d) == OnSides((Side("t", True),))
    assert c.normal_variables(d) == ["t"]
    assert Initial("u").where(d) == OnSides((Side("t", False),))


def test_neumann_on_a_disk_is_the_normal_derivative():
    d = Domain(Ball([0.5, -1.0], 2.0), ("x", "y"))
    c = Neumann("u", on="boundary", value=0.25)
    points = c.where(d).sample(Sampler("sobol", seed=1), d, 64)
    f = fields_at(d, points, lambda x, y: x ** 2 + 3 * y)
    x, y = points.points.T
    n = points.data["normal"]
    np.testing.assert_allclose(n, np.stack([x - 0.5, y + 1.0], axis=1) / 2.0, atol=1e-12)
    expected = n[:, 0] * 2 * x + n[:, 1] * 3 - 0.25  # ∇u = (2x, 3)
    np.testing.assert_allclose(c.residual(f, NO_PARAMS, d).detach().numpy(), expected, rtol=1e-13, atol=1e-13)
    # And by the geometry alone: n = ((x - 0.5), (y + 1)) / 2.
    np.testing.assert_allclose(expected, (x - 0.5) * x + 1.5 * (y + 1.0) - 0.25, rtol=1e-12, atol=1e-12)


def test_neumann_on_a_disk_in_time_ignores_the_time_derivative():
    d = disk_in_time(t=(0, 5))
    c = Neumann("u", on="disk")
    points = c.where(d).sample(Sampler("sobol", seed=2), d, 32)
    f = fields_at(d, points, lambda x, y, t: x ** 2 + 3 * y + 7 * t ** 2)
    x, y, _ = points.points.T
    residual = c.residual(f, NO_PARAMS, d).detach().numpy()
    np.testing.assert_allclose(residual, 2 * x * x + 3 * y, rtol=1e-12, atol=1e-12)
    assert c.term("wall", d).reads == {"u_x", "u_y"}


def test_robin_on_a_disk_with_numbers():
    d = Domain(Ball([0, 0], 1.0), ("x", "y"))
    c = Robin("u", on="disk", a=2.0, b=-0.5, value=1.0)
    points = c.where(d).sample(Sampler("sobol", seed=3), d, 40)
    f = fields_at(d, points, lambda x, y: x ** 2 + 3 * y)
    x, y = points.points.T
    u, flux = x ** 2 + 3 * y, 2 * x ** 2 + 3 * y  # n = (x, y) on the unit circle
    residual = c.residual(f, NO_PARAMS, d).detach().numpy()
    np.testing.assert_allclose(residual, 2 * u - 0.5 * flux - 1.0, rtol=1e-12, atol=1e-12)
    assert c.term("robin", d).reads == {"u", "u_x", "u_y"}


def test_robin_with_callable_coefficients_and_value():
    d = plate()
    c = Robin("u", on="hole", a=lambda f, p: p.h * f.x, b=lambda f, p: 1 + f.y ** 2, value=lambda f, p: f.x * f.y)
    points = c.where(d).sample(Sampler("sobol", seed=0), d, 50)
    f = fields_at(d, points, lambda x, y: x ** 2 + 3 * y)
    x, y = points.points.T
    flux = -(2 * x * x + 3 * y) / 0.4  # n = -(x, y)/0.4 on the hole
    expected = 3.0 * x * (x ** 2 + 3 * y) + (1 + y ** 2) * flux - x * y
    residual = c.residual(f, Params({"h": 3.0}), d).detach().numpy()
    np.testing.assert_allclose(residual, expected, rtol=1e-12, atol=1e-12)
    assert c.term("hole", d).reads is None  # callables do not say what they read


def test_robin_with_b_zero_is_dirichlet_and_a_zero_is_neumann():
    d = disk_in_time()
    points = Dirichlet("u", on="disk").where(d).sample(Sampler("sobol", seed=5), d, 24)
    f = fields_at(d, points, lambda x, y, t: torch.sin(x) * y + t)
    for robin, plain in [(Robin("u", on="disk", a=1.0, b=0.0, value=0.5), Dirichlet("u", on="disk", value=0.5)),
                         (Robin("u", on="disk", a=0.0, b=1.0, value=0.5), Neumann("u", on="disk", value=0.5))]:
        torch.testing.assert_close(robin.residual(f, NO_PARAMS, d), plain.residual(f, NO_PARAMS, d),
                                   rtol=1e-14, atol=1e-14)


def test_a_problem_with_an_initial_and_a_boundary_condition_on_a_disk_in_time():
    # u = x² + y² + 4t solves u_t = Δu, equals x² + y² at t = 0 and 1 + 4t on the unit circle.
    d = disk_in_time(t=(0, 1))
    problem = Problem(d, ["u"], lambda f, p: f.u_t - f.u_xx - f.u_yy,
                      [Initial("u", value=lambda f, p: f.x ** 2 + f.y ** 2),
                       Dirichlet("u", on="boundary", value=lambda f, p: 1 + 4 * f.t, name="circle")])
    assert problem.term_names == ["pde", "initial", "circle"]
    sources = problem.point_sets
    assert isinstance(sources["pde"], Interior)
    assert sources["initial"] == OnSides((Side("t", False),))
    assert sources["circle"] == OnBoundary(frozenset({"disk"}))

    sampler = Sampler("sobol", seed=0)
    batches = {name: source.sample(sampler, d, 64) for name, source in sources.items()}
    assert all(len(batch) == 64 for batch in batches.values())
    assert d.inside(batches["pde"].points).all()
    assert np.all(batches["initial"].points[:, 2] == 0.0) and d.inside(batches["initial"].points).all()
    circle = batches["circle"].points
    np.testing.assert_allclose(np.hypot(circle[:, 0], circle[:, 1]), 1.0, atol=1e-12)
    assert circle[:, 2].min() < 0.1 and circle[:, 2].max() > 0.9

    exact = Exact(lambda x, y, t: x ** 2 + y ** 2 + 4 * t)
    objective = Objective(problem, exact, derivatives="autograd")
    tensors = {name: batch.map(lambda a: torch.tensor(a, dtype=torch.float64)) for name, batch in batches.items()}
    for name, loss in objective.losses(tensors).items():
        assert float(loss.detach()) < 1e-24, name


def test_observations_outside_a_disk_are_refused():
    d = Domain(Ball([0, 0], 1), ("x", "y"))
    outside = Observations([[0.0, 0.0], [0.5, 0.5], [0.8, 0.8]], {"u": [0, 0, 0]})  # in the bounding box
    with pytest.raises(SpecError) as caught:
        Problem(d, ["u"], lambda f, p: f.u_xx, terms=[outside])
    assert caught.value.path == "terms[0]"
    assert caught.value.message == ("1 of 3 observations lie outside the geometry, the first at index 2: "
                                    "x = 0.8, y = 0.8")
    inside = Observations([[0.0, 0.0], [0.6, 0.8], [-0.5, 0.5]], {"u": [0, 0, 0]})
    assert Problem(d, ["u"], lambda f, p: f.u_xx, terms=[inside]).term_names == ["pde", "data"]


def test_observations_outside_a_disk_in_time_name_every_coordinate():
    d = disk_in_time(t=(0, 1))
    with pytest.raises(SpecError, match=r"terms\[0\]: 2 of 2 observations lie outside the geometry, the first at "
                                        r"index 0: x = 0.9, y = -0.9, t = 0.5"):
        Problem(d, ["u"], lambda f, p: f.u_t,
                terms=[Observations([[0.9, -0.9, 0.5], [0.75, 0.75, 0.7]], {"u": [0, 0]})])
    with pytest.raises(SpecError, match=r"t = 1.5 is not in \[0, 1\]"):
        Problem(d, ["u"], lambda f, p: f.u_t, terms=[Observations([[0.0, 0.0, 1.5]], {"u": [0]})])
