"""Tests of the Domain box: variable validation, side parsing, scaling and grids."""

import math

import numpy as np
import pytest

from pinnsolve.domain import Domain, Side
from pinnsolve.errors import SpecError


def test_variables_bounds_and_dimension_keep_declaration_order():
    d = Domain(x=(-1, 1), t=(0, 2.5), y=[3, 4])
    assert d.variables == ["x", "t", "y"]
    assert d.dim == 3
    assert d.index("t") == 1
    np.testing.assert_array_equal(d.lower, [-1.0, 0.0, 3.0])
    np.testing.assert_array_equal(d.upper, [1.0, 2.5, 4.0])
    assert all(isinstance(v, float) for lo_hi in d.bounds.values() for v in lo_hi)


def test_no_variables_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        Domain()
    assert info.value.path == "variables"


@pytest.mark.parametrize("interval", [
    (1, 1),                    # empty
    (2, -1),                   # reversed
    (0, math.inf),             # not finite
    (-math.inf, 0),
    (0, math.nan),
    (1,),                      # one number
    (0, 1, 2),                 # three numbers
    ("a", 1),                  # not a number
    None,                      # not an interval
])
def test_bad_interval_is_a_spec_error_naming_the_variable(interval):
    with pytest.raises(SpecError) as info:
        Domain(x=(0, 1), speed=interval)
    assert info.value.path == "variables.speed"
    assert str(info.value).startswith("variables.speed: ")


@pytest.mark.parametrize("name", ["_hidden", "1x", "a-b"])
def test_variable_name_must_be_a_plain_identifier(name):
    with pytest.raises(SpecError) as info:
        Domain(**{name: (0, 1)})
    assert info.value.path == f"variables.{name}"


@pytest.mark.parametrize("text, expected", [
    ("x=-1", Side("x", False)),
    ("x=1", Side("x", True)),
    ("x=1.0", Side("x", True)),
    ("x = -1.0", Side("x", False)),
    ("x=min", Side("x", False)),
    ("x=max", Side("x", True)),
    ("t=0", Side("t", False)),
    ("t=0.5", Side("t", True)),
    ("t=5e-1", Side("t", True)),
    ("t=min", Side("t", False)),
    ("t=max", Side("t", True)),
])
def test_side_parsing(text, expected):
    d = Domain(x=(-1, 1), t=(0, 0.5))
    assert d.side(text) == expected


def test_side_value_and_str():
    d = Domain(x=(-1, 1), t=(0, 0.5))
    assert d.side_value(Side("x", False)) == -1.0
    assert d.side_value(Side("x", True)) == 1.0
    assert d.side_value(Side("t", True)) == 0.5
    assert str(Side("x", True)) == "x=max"
    assert str(Side("t", False)) == "t=min"
    # str of a side parses back to the same side
    for side in (Side("x", True), Side("x", False), Side("t", True), Side("t", False)):
        assert d.side(str(side)) == side


def test_side_number_matches_bound_up_to_rounding_only():
    d = Domain(x=(0, 0.3))
    assert d.side(f"x={0.1 + 0.2!r}") == Side("x", True)  # 0.30000000000000004
    with pytest.raises(SpecError):
        d.side("x=0.3001")


@pytest.mark.parametrize("text", [
    "x=0",        # inside the box, not on a side
    "x=2",        # outside
    "x=-1.5",
    "y=1",        # unknown variable
    "x",          # no '='
    "x=abc",      # not a number
    "x=",         # nothing
    "x=nan",
    "x=inf",
])
def test_side_not_of_the_box_is_a_spec_error_with_the_path(text):
    d = Domain(x=(-1, 1), t=(0, 1))
    with pytest.raises(SpecError) as info:
        d.side(text, path="conditions[3].on")
    assert info.value.path == "conditions[3].on"
    assert str(info.value).startswith("conditions[3].on: ")


def test_side_error_default_path_is_on():
    with pytest.raises(SpecError) as info:
        Domain(x=(-1, 1)).side("x=0")
    assert info.value.path == "on"


def test_scale_maps_unit_cube_corners_and_centre_onto_the_box():
    d = Domain(x=(-1, 3), t=(2, 2.5))
    corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5], [0.25, 0.8]])
    expected = np.array([[-1, 2], [3, 2], [-1, 2.5], [3, 2.5], [1, 2.25], [0.0, 2.4]])
    np.testing.assert_allclose(d.scale(corners), expected, rtol=0, atol=1e-15)


def test_grid_shape_and_ij_ordering():
    d = Domain(x=(0, 1), t=(0, 1))
    xs = np.array([0.0, 0.5, 1.0])
    ts = np.array([0.1, 0.9])
    # axes may be given in any order; columns follow the declaration order
    g = d.grid({"t": ts, "x": xs})
    assert g.shape == (6, 2)
    expected = np.array([[x, t] for x in xs for t in ts])  # 'ij': last variable varies fastest
    np.testing.assert_array_equal(g, expected)


def test_grid_one_dimension():
    d = Domain(x=(0, 1))
    xs = np.linspace(0, 1, 5)
    g = d.grid({"x": xs})
    assert g.shape == (5, 1)
    np.testing.assert_array_equal(g[:, 0], xs)


def test_repr_names_every_variable():
    r = repr(Domain(x=(-1, 1), t=(0, 0.5)))
    assert r == "Domain(x=(-1, 1), t=(0, 0.5))"
