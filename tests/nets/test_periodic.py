"""Tests of the exactly periodic input embedding: its formula, periodicity of values and derivatives
in every family, its config, the by-name option of build_model and the spec, and that the objective
then leaves the periodic condition out."""

import json

import numpy as np
import pytest
import torch

from pinnsolve import Periodic, Problem
from pinnsolve.derivatives import Fields
from pinnsolve.domain import Domain
from pinnsolve.errors import SpecError
from pinnsolve.nets import NETWORKS, build_network
from pinnsolve.nets.features import PeriodicEmbedding
from pinnsolve.objective import Objective
from pinnsolve.sampling import Sampler
from pinnsolve.solve import build_model
from pinnsolve.spec import build_spec
from pinnsolve.terms import OppositeSides, PointSet

LOWER, UPPER = [-5.0, 0.0, 1.0], [5.0, 2.0, 3.0]
FAMILY_OPTIONS = {"mlp": {"depth": 2}, "resnet": {"blocks": 2}, "adaresnet": {"blocks": 2, "skip_init": 0.3}}


def network(kind, periodic, seed=0, **options):
    torch.manual_seed(seed)
    config = {"type": kind, "lower": LOWER, "upper": UPPER, "outputs": 2, "width": 8, "periodic": periodic}
    return build_network(config | FAMILY_OPTIONS[kind] | options).double()


def test_embedding_is_the_harmonics_of_each_periodic_input_after_the_others():
    x = np.random.default_rng(0).uniform(-1, 1, size=(7, 3))
    got = PeriodicEmbedding([2, 0, 3])(torch.tensor(x)).numpy()
    k_x, k_z = np.arange(1, 3), np.arange(1, 4)
    angles = np.concatenate([np.pi * k_x * x[:, :1], np.pi * k_z * x[:, 2:]], axis=1)
    expected = np.concatenate([x[:, 1:2], np.cos(angles), np.sin(angles)], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_values_and_derivatives_agree_exactly_on_opposite_sides(kind):
    net = network(kind, [3, 0, 0], seed=1, activation="tanh")
    rng = np.random.default_rng(1)
    inner = rng.uniform(LOWER, UPPER, size=(5, 3))
    lower, upper = inner.copy(), inner.copy()
    lower[:, 0], upper[:, 0] = LOWER[0], UPPER[0]
    f = Fields(torch.tensor(np.stack([lower, upper]), requires_grad=True), net, ["u", "v"], ["x", "t", "z"])
    for name in ("u", "u_x", "u_xx", "v_x", "u_t", "v_xt"):
        a, b = f[name]
        assert torch.equal(a, b), name
    # and it is not periodic along an input left as it is
    lower, upper = inner.copy(), inner.copy()
    lower[:, 1], upper[:, 1] = LOWER[1], UPPER[1]
    assert not torch.equal(net(torch.tensor(lower)), net(torch.tensor(upper)))


def test_period_is_the_domain_length_for_points_beyond_it():
    net = network("mlp", [2, 0, 0], seed=2)
    x = torch.tensor(np.random.default_rng(2).uniform(LOWER, UPPER, size=(6, 3)))
    shifted = x.clone()
    shifted[:, 0] += UPPER[0] - LOWER[0]
    torch.testing.assert_close(net(shifted), net(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_config_round_trip_and_first_layer_width(kind):
    net = network(kind, [2, 0, 1])
    assert net.config["periodic"] == [2, 0, 1]
    first = next(m for m in net.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == 1 + 2 * 3  # t passes through; two harmonics of x, one of z, cos and sin
    rebuilt = build_network(json.loads(json.dumps(net.config)))
    rebuilt.load_state_dict(net.state_dict())
    x = torch.tensor(np.random.default_rng(3).uniform(LOWER, UPPER, size=(4, 3)))
    assert torch.equal(rebuilt.double()(x), net(x))
    assert "periodic" not in network(kind, None).config
    assert "periodic" not in network(kind, [0, 0, 0]).config


def test_combines_with_fourier_features_keeping_periodicity():
    net = network("mlp", [1, 0, 0], fourier_features={"count": 4, "scale": 1.0})
    ends = torch.tensor([[LOWER[0], 1.0, 2.0], [UPPER[0], 1.0, 2.0]])
    out = net(ends)
    assert torch.equal(out[0], out[1])


@pytest.mark.parametrize("periodic", [[1, 0], [1, 0, -1], [1.5, 0, 0], [True, 0, 0], "x"])
def test_bad_harmonics_are_value_errors(periodic):
    with pytest.raises(ValueError, match="periodic"):
        network("mlp", periodic)


def problem():
    return Problem(Domain(x=(0.0, 2.0), t=(0.0, 1.0)), ["u"], lambda f, p: f["u_t"] + f["u_x"],
                   conditions=[Periodic("u", variable="x", derivatives=2)])


def test_build_model_takes_harmonics_by_variable_name():
    net = build_model(problem(), {"periodic": {"x": 2}})
    assert net.config["periodic"] == [2, 0]
    with pytest.raises(ValueError, match="no variable named 'y'"):
        build_model(problem(), {"periodic": {"y": 2}})


def test_periodic_condition_loss_and_gradient_are_exactly_zero_with_the_embedding():
    prob = problem()
    pairs = OppositeSides("x").sample(Sampler("sobol", 0), prob.domain, 16)
    batches = {"periodic": PointSet(torch.tensor(pairs.points, dtype=torch.float32))}
    for options, zero in (({"periodic": {"x": 1}}, True), ({}, False)):
        torch.manual_seed(0)
        objective = Objective(prob, build_model(prob, options))
        objective.terms = [t for t in objective.terms if t.name == "periodic"]
        loss = objective.losses(batches)["periodic"]
        gradients = torch.autograd.grad(loss, objective.parameters)
        assert (loss.item() == 0 and not any(g.any() for g in gradients)) == zero


def spec_network(periodic):
    document = {"variables": {"x": [0, 1], "t": [0, 1]}, "fields": ["u"], "pde": "u_t - u_xx",
                "network": {"periodic": periodic}}
    return build_spec(document).network


def test_spec_option_by_variable_name():
    assert spec_network({"x": 3})["periodic"] == {"x": 3}


@pytest.mark.parametrize("periodic, path, message", [
    ([1], "network.periodic", "expected a mapping"),
    ({"y": 1}, "network.periodic", "expected one of: x, t; got 'y'"),
    ({"x": 0}, "network.periodic.x", "must lie in [1, 256], got 0"),
    ({"x": 1.5}, "network.periodic.x", "expected a whole number, got 1.5"),
])
def test_spec_errors_name_the_field(periodic, path, message):
    with pytest.raises(SpecError) as caught:
        spec_network(periodic)
    assert caught.value.path == path
    assert message in caught.value.message
