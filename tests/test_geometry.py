"""Shapes against exact truths: membership of sampled points, outward unit normals, signed
distances, areas by Monte Carlo against closed forms, and boundary points spread by length."""

import math

import numpy as np
import pytest

from pinnsolve.geometry import Ball, Box, Difference, Intersection, Polygon, Union
from pinnsolve.sampling import Sampler

L_SHAPE = [[-1, -1], [1, -1], [1, 0], [0, 0], [0, 1], [-1, 1]]  # [-1, 1]² without its upper right quarter


def draw(seed: int = 0):
    return Sampler("sobol", seed).unit


def shapes():
    plate = Difference(Box([-1, -1], [1, 1], name="plate"), Ball([0, 0], 0.3, name="hole"))
    return {
        "box": (Box([0, -1, 2], [1, 1, 2.5]), 1 * 2 * 0.5),
        "disk": (Ball([0.5, -0.5], 2.0), math.pi * 4.0),
        "ball": (Ball([0, 0, 0], 1.0), 4 / 3 * math.pi),
        "polygon": (Polygon(L_SHAPE), 3.0),
        "plate_with_hole": (plate, 4 - math.pi * 0.09),
        # The box's part in the disk: ∫ √(1 − y²) dy over |y| ≤ 1/2 = √3/4 + π/6.
        "union": (Union(Ball([0, 0], 1.0), Box([0, -0.5], [2, 0.5])), math.pi + 2 - math.sqrt(3) / 4 - math.pi / 6),
        "intersection": (Intersection(Ball([0, 0], 1.0), Ball([1, 0], 1.0)), 2 * math.pi / 3 - math.sqrt(3) / 2),
        "nested": (Difference(Union(Ball([0, 0], 1.0), Ball([1.5, 0], 1.0)), Polygon([[-0.2, -0.2], [0.2, -0.2], [0, 0.3]])),
                   2 * math.pi - 2 * (math.acos(0.75) - 0.75 * math.sqrt(1 - 0.75**2)) - 0.4 * 0.5 / 2),
    }


@pytest.mark.parametrize("name", list(shapes()))
def test_a_million_interior_points_lie_inside(name):
    shape, _ = shapes()[name]
    points = shape.sample_interior(draw(), 1_000_000)
    assert points.shape == (1_000_000, shape.dim)
    assert shape.inside(points).all()
    assert np.all(points >= shape.lower) and np.all(points <= shape.upper)


@pytest.mark.parametrize("name", list(shapes()))
def test_area_by_monte_carlo_is_the_exact_one_to_one_percent(name):
    shape, exact = shapes()[name]
    uniform = np.random.default_rng(1).random((2_000_000, shape.dim))
    box = np.prod(shape.upper - shape.lower)
    estimate = box * shape.inside(shape.lower + uniform * (shape.upper - shape.lower)).mean()
    assert estimate == pytest.approx(exact, rel=0.01)


@pytest.mark.parametrize("name", list(shapes()))
def test_boundary_points_lie_on_the_boundary_with_outward_unit_normals(name):
    shape, _ = shapes()[name]
    boundary = shape.sample_boundary(draw(), 100_000)
    assert boundary.points.shape == boundary.normals.shape == (100_000, shape.dim)
    np.testing.assert_allclose(np.linalg.norm(boundary.normals, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(shape.distance(boundary.points), 0.0, atol=1e-9)
    # Outward: a small step along the normal leaves the shape, a step against it enters.
    step = 1e-4 * boundary.normals
    assert shape.inside(boundary.points - step).mean() > 0.999
    assert (~shape.inside(boundary.points + step)).mean() > 0.999


def test_disk_normals_are_the_radial_direction_and_points_even_in_angle():
    disk = Ball([1.0, 2.0], 0.5)
    boundary = disk.sample_boundary(draw(), 4096)
    radial = (boundary.points - disk.center) / 0.5
    np.testing.assert_allclose(boundary.normals, radial, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(boundary.points - disk.center, axis=1), 0.5, atol=1e-12)
    counts, _ = np.histogram(np.arctan2(radial[:, 1], radial[:, 0]), bins=16, range=(-np.pi, np.pi))
    assert counts.min() >= 0.97 * 4096 / 16 and counts.max() <= 1.03 * 4096 / 16


def test_sphere_points_are_even_in_area():
    boundary = Ball([0, 0, 0], 2.0).sample_boundary(draw(), 40_000)
    # Archimedes: the height z of a uniform point on a sphere is uniform on [-r, r].
    counts, _ = np.histogram(boundary.points[:, 2], bins=10, range=(-2, 2))
    assert counts.min() >= 0.95 * 4000 and counts.max() <= 1.05 * 4000


@pytest.mark.parametrize("clockwise", [False, True])
def test_polygon_edges_have_their_analytic_outward_normals_and_their_names(clockwise):
    vertices = L_SHAPE[::-1] if clockwise else L_SHAPE
    polygon = Polygon(vertices, name="room")
    # Edge k joins the k-th listed vertex to the next, whichever way round the list goes.
    for k in range(len(vertices)):
        a, b = np.array(vertices[k], float), np.array(vertices[(k + 1) % len(vertices)], float)
        boundary = polygon.sample_boundary(draw(), 200, [f"room.{k + 1}"])
        assert set(boundary.parts) == {f"room.{k + 1}"}
        offset = boundary.points - a
        along = (b - a)[0] * offset[:, 1] - (b - a)[1] * offset[:, 0]  # the cross product: zero on the line ab
        np.testing.assert_allclose(along, 0.0, atol=1e-12)
        fraction = (boundary.points - a) @ (b - a) / ((b - a) @ (b - a))
        assert fraction.min() >= 0 and fraction.max() <= 1
        # The outward normal: perpendicular to ab, and the midpoint plus a step along it is outside.
        normal = boundary.normals[0]
        np.testing.assert_allclose(boundary.normals, np.tile(normal, (200, 1)))
        assert abs(normal @ (b - a)) < 1e-12
        assert not polygon.inside(((a + b) / 2 + 1e-6 * normal)[None])[0]


def test_boundary_points_are_spread_by_length_over_the_parts():
    polygon = Polygon(L_SHAPE, name="room")  # edges 1 and 6 have length 2, the others 1
    boundary = polygon.sample_boundary(draw(), 8000)
    parts, counts = np.unique(boundary.parts, return_counts=True)
    assert dict(zip(parts, counts)) == {"room.1": 2000, "room.2": 1000, "room.3": 1000, "room.4": 1000,
                                        "room.5": 1000, "room.6": 2000}
    # Two disks, partly overlapping: what is left of each circle, by the cosine rule.
    union = Union(Ball([0, 0], 1.0, name="big"), Ball([1, 0], 0.5, name="small"))
    kept = {"big": 2 * math.pi - 2 * math.acos(0.875), "small": 0.5 * 2 * math.acos(-0.25)}
    boundary = union.sample_boundary(draw(), 50_000)
    share = np.mean(boundary.parts == "small")
    assert share == pytest.approx(kept["small"] / (kept["big"] + kept["small"]), rel=0.02)


def test_difference_turns_the_hole_normals_towards_its_centre():
    plate = Difference(Box([-1, -1], [1, 1], name="plate"), Ball([0, 0], 0.3, name="hole"))
    hole = plate.sample_boundary(draw(), 1000, ["hole"])
    np.testing.assert_allclose(hole.normals, -hole.points / 0.3, atol=1e-12)
    outer = plate.sample_boundary(draw(), 1000, ["plate"])
    np.testing.assert_allclose(np.max(np.abs(outer.points), axis=1), 1.0)
    np.testing.assert_allclose(np.abs(outer.normals).sum(axis=1), 1.0)  # axis-aligned
    assert np.all(np.sum(outer.normals * outer.points, axis=1) > 0)


def test_signed_distances_are_exact_for_the_primitives():
    points = np.random.default_rng(2).uniform(-3, 3, (5000, 2))
    box = Box([-1, -0.5], [1, 0.5])
    # Brute force: the distance to a dense sampling of the boundary, signed by membership.
    dense = box.sample_boundary(draw(), 200_000).points
    nearest = np.min(np.linalg.norm(points[:200, None] - dense[None], axis=2), axis=1)
    inside = (np.abs(points[:200, 0]) <= 1) & (np.abs(points[:200, 1]) <= 0.5)
    np.testing.assert_allclose(box.distance(points[:200]), np.where(inside, -nearest, nearest), atol=2e-4)
    polygon = Polygon(L_SHAPE)
    dense = polygon.sample_boundary(draw(), 200_000).points
    nearest = np.min(np.linalg.norm(points[:200, None] - dense[None], axis=2), axis=1)
    np.testing.assert_allclose(np.abs(polygon.distance(points[:200])), nearest, atol=2e-4)
    np.testing.assert_allclose(Ball([1, 1], 2).distance(points), np.linalg.norm(points - 1, axis=1) - 2)


def test_parts_are_picked_by_shape_name_part_name_or_boundary():
    shape = Difference(Polygon(L_SHAPE, name="room", edges=list("abcdef")), Ball([-0.5, -0.5], 0.2, name="pillar"))
    assert shape.select(["room"]) == {f"room.{e}" for e in "abcdef"}
    assert shape.select(["room.c", "pillar"]) == {"room.c", "pillar"}
    assert shape.select(["boundary"]) == set(shape.parts)
    with pytest.raises(ValueError, match="no boundary part named 'door'; parts are boundary, pillar, room, room.a"):
        shape.select(["door"])


def test_sampling_is_reproducible_from_the_seed():
    shape = shapes()["nested"][0]
    first = shape.sample_boundary(draw(3), 500).points, shape.sample_interior(draw(3), 500)
    again = shape.sample_boundary(draw(3), 500).points, shape.sample_interior(draw(3), 500)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make, message", [
    (lambda: Box([0, 0], [1, 0]), "lower corner must lie below"),
    (lambda: Box([0, 0], [1]), "upper corner must be a list of 2 numbers"),
    (lambda: Ball([0, 0], -1), "radius must be a positive number"),
    (lambda: Ball([0, math.nan], 1), "must be finite"),
    (lambda: Polygon([[0, 0], [1, 0]]), "three or more vertices"),
    (lambda: Polygon([[0, 0], [1, 1], [1, 0], [0, 1]]), "must be simple"),
    (lambda: Polygon([[0, 0], [1, 0], [1, 0], [0, 1]]), "must be simple"),
    (lambda: Polygon([[0, 0], [1, 0], [0, 1]], edges=["a", "b"]), "needs 3 distinct edge names"),
    (lambda: Ball([0, 0], 1, name="boundary"), "other than 'boundary'"),
    (lambda: Union(Ball([0, 0], 1)), "two or more shapes"),
    (lambda: Union(Ball([0, 0], 1), Ball([0, 0, 0], 1)), "different dimensions"),
    (lambda: Intersection(Ball([0, 0], 1), Ball([5, 0], 1)), "is empty"),
])
def test_bad_shapes_are_refused_with_the_reason(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_boundary_swallowed_by_the_operation_cannot_be_sampled():
    shape = Union(Box([-2, -2], [2, 2]), Ball([0, 0], 1, name="inner"))
    with pytest.raises(ValueError, match="inside the shape"):
        shape.sample_boundary(draw(), 10, ["inner"])
