"""Tests of the collocation-point sampler."""

import numpy as np
import pytest
from scipy.stats import qmc

from pinnsolve.domain import Domain, Side
from pinnsolve.sampling import SAMPLERS, Sampler

KINDS = ["sobol", "halton", "lhs", "uniform"]


def test_the_four_kinds_are_offered():
    assert set(SAMPLERS) == set(KINDS)


def test_unknown_kind_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="'random'"):
        Sampler("random")


@pytest.mark.parametrize("kind", KINDS)
def test_unit_points_lie_in_the_unit_cube(kind):
    u = Sampler(kind, seed=1).unit(200, 3)
    assert u.shape == (200, 3)
    assert np.all((u >= 0) & (u <= 1))
    assert len(np.unique(u[:, 0])) == 200  # not degenerate


def test_unit_with_zero_dimensions():
    assert Sampler("sobol").unit(7, 0).shape == (7, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_interior_points_lie_in_the_box_and_spread_over_it(kind):
    d = Domain(x=(-2, 3), t=(10, 10.5))
    p = Sampler(kind, seed=3).interior(d, 256)
    assert p.shape == (256, 2)
    assert np.all(p >= d.lower) and np.all(p <= d.upper)
    # the sample reaches every quarter of each interval
    quarters = np.floor((p - d.lower) / (d.upper - d.lower) * 4).clip(0, 3)
    for j in range(2):
        assert set(quarters[:, j].astype(int)) == {0, 1, 2, 3}


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_points_different_seed_different_points(kind):
    d = Domain(x=(-1, 1), t=(0, 1))
    a = Sampler(kind, seed=42).interior(d, 64)
    b = Sampler(kind, seed=42).interior(d, 64)
    c = Sampler(kind, seed=43).interior(d, 64)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("kind", KINDS)
def test_successive_draws_are_new_points(kind):
    s = Sampler(kind, seed=0)
    a, b = s.unit(32, 2), s.unit(32, 2)
    assert not np.any(np.all(np.isclose(a[:, None, :], b[None, :, :]), axis=2))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text, column, value", [("x=min", 0, -1.0), ("x=max", 0, 2.0),
                                                  ("t=min", 1, 0.0), ("y=max", 2, 5.0)])
def test_points_lie_exactly_on_the_requested_side(kind, text, column, value):
    d = Domain(x=(-1, 2), t=(0, 1), y=(4, 5))
    p = Sampler(kind, seed=5).on_sides(d, [d.side(text)], 50)
    assert p.shape == (50, 3)
    assert np.all(p[:, column] == value)
    assert np.all(p >= d.lower) and np.all(p <= d.upper)
    others = [j for j in range(3) if j != column]
    assert len(np.unique(p[:, others[0]])) == 50  # the other coordinates vary


@pytest.mark.parametrize("n, expected", [(9, [3, 3, 3]), (10, [4, 3, 3]), (11, [4, 4, 3]), (2, [1, 1, 0])])
def test_counts_split_evenly_over_sides_in_order(n, expected):
    d = Domain(x=(-1, 1), t=(0, 1))
    sides = [Side("x", False), Side("x", True), Side("t", False)]
    p = Sampler("halton", seed=0).on_sides(d, sides, n)
    assert p.shape == (n, 2)
    on_lower_x = p[:, 0] == -1.0
    on_upper_x = p[:, 0] == 1.0
    on_t0 = (p[:, 1] == 0.0) & ~on_lower_x & ~on_upper_x
    assert [on_lower_x.sum(), on_upper_x.sum(), on_t0.sum()] == expected
    # and they come side by side, in the order given
    a, b = expected[0], expected[0] + expected[1]
    assert np.all(p[:a, 0] == -1.0) and np.all(p[a:b, 0] == 1.0) and np.all(p[b:, 1] == 0.0)


def test_sides_of_a_one_dimensional_box_are_points():
    d = Domain(x=(0.5, 4))
    p = Sampler("sobol", seed=0).on_sides(d, [d.side("x=min"), d.side("x=max")], 6)
    np.testing.assert_array_equal(p, [[0.5], [0.5], [0.5], [4.0], [4.0], [4.0]])


def test_latin_hypercube_has_one_point_per_stratum():
    n = 40
    u = Sampler("lhs", seed=7).unit(n, 3)
    for j in range(3):
        assert sorted(np.floor(u[:, j] * n).astype(int)) == list(range(n))


def test_uniform_is_not_stratified():
    n = 40
    u = Sampler("uniform", seed=7).unit(n, 1)
    assert sorted(np.floor(u[:, 0] * n).astype(int)) != list(range(n))


@pytest.mark.parametrize("kind", ["sobol", "halton"])
def test_low_discrepancy_beats_uniform(kind):
    n, dim = 1024, 2
    low = qmc.discrepancy(Sampler(kind, seed=0).unit(n, dim))
    uniform = [qmc.discrepancy(Sampler("uniform", seed=s).unit(n, dim)) for s in range(3)]
    assert low < 0.2 * min(uniform)


def test_sobol_power_of_two_balance():
    # a scrambled Sobol' net of 2^m points has exactly one point in each interval [k/2^m, (k+1)/2^m)
    u = Sampler("sobol", seed=11).unit(64, 2)
    for j in range(2):
        assert sorted(np.floor(u[:, j] * 64).astype(int)) == list(range(64))


# -- state -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", SAMPLERS)
def test_a_loaded_state_continues_the_very_same_streams(kind):
    """Engines of several dimensions, created in some order, with the shared generator drawn from
    between them (as adaptive sampling does): a fresh sampler that loads the state draws exactly
    what the saved one draws next, including from an engine created only after the save."""
    saved = Sampler(kind, seed=3)
    saved.unit(7, 2), saved.unit(5, 1), saved.unit(9, 2), saved.rng.random(3)
    resumed = Sampler(kind, seed=3)
    resumed.load_state_dict(saved.state_dict())
    draws = [[s.unit(11, 2), s.unit(6, 1), s.rng.random(2), s.unit(4, 3)] for s in (saved, resumed)]
    assert all(np.array_equal(a, b) for a, b in zip(*draws))


def test_state_loads_only_into_a_fresh_sampler_of_the_same_kind():
    state = Sampler("sobol", 0).state_dict()
    with pytest.raises(ValueError, match="the saved sampler is 'sobol', this one 'halton'"):
        Sampler("halton", 0).load_state_dict(state)
    used = Sampler("sobol", 0)
    used.unit(4, 2)
    with pytest.raises(ValueError, match="fresh sampler"):
        used.load_state_dict(state)
