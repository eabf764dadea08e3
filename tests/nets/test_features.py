"""Tests of the Fourier-feature input embedding in every family, and of the derivatives a PDE
residual reads through each family, against per-point autograd Jacobians and Hessians."""

import json

import numpy as np
import pytest
import torch

from pinnsolve.derivatives import Fields
from pinnsolve.errors import SpecError
from pinnsolve.nets import NETWORKS, FourierFeatures, build_network
from pinnsolve.nets.layers import InputScaling
from pinnsolve.spec import build_spec

LOWER, UPPER = [-2.0, 0.0], [3.0, 0.5]
FEATURES = {"count": 6, "scale": 1.5}
FAMILY_OPTIONS = {"mlp": {"depth": 2}, "resnet": {"blocks": 2}, "adaresnet": {"blocks": 2, "skip_init": 0.3}}


def network(kind, fourier_features=None, seed=0, **options):
    torch.manual_seed(seed)
    config = {"type": kind, "lower": LOWER, "upper": UPPER, "outputs": 2, "width": 8} | FAMILY_OPTIONS[kind] | options
    if fourier_features:
        config["fourier_features"] = fourier_features
    return build_network(config)


def points(n=9, seed=0):
    return np.random.default_rng(seed).uniform(LOWER, UPPER, size=(n, 2))


def numpy_features(frequencies, x):
    angles = 2 * np.pi * x @ frequencies.T
    return np.concatenate([np.cos(angles), np.sin(angles)], axis=1)


def test_embedding_is_cos_and_sin_of_two_pi_b_x():
    torch.manual_seed(0)
    embedding = FourierFeatures(3, 5, 2.0).double()
    x = np.random.default_rng(0).uniform(-1, 1, size=(7, 3))
    b = embedding.frequencies.numpy()
    assert b.shape == (5, 3)
    np.testing.assert_allclose(embedding(torch.tensor(x)).numpy(), numpy_features(b, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("scale", [0.5, 10.0])
def test_frequencies_are_normal_with_std_scale(scale):
    torch.manual_seed(1)
    b = FourierFeatures(2, 20_000, scale).frequencies.numpy()
    assert b.std() == pytest.approx(scale, rel=0.02)
    assert abs(b.mean()) < 0.02 * scale


def test_frequencies_are_a_fixed_buffer_saved_with_the_weights():
    embedding = FourierFeatures(2, 4, 1.0)
    assert list(embedding.parameters()) == []
    assert torch.equal(embedding.state_dict()["frequencies"], embedding.frequencies)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_every_family_scales_then_embeds(kind):
    net = network(kind, FEATURES).double()
    scaling, embedding, first = net.layers[0], net.layers[1], net.layers[2]
    assert isinstance(scaling, InputScaling) and isinstance(embedding, FourierFeatures)
    assert first.in_features == 2 * FEATURES["count"]
    x = points()
    scaled = 2 * (x - np.array(LOWER)) / (np.array(UPPER) - np.array(LOWER)) - 1
    np.testing.assert_allclose(net.layers[:2](torch.tensor(x)).numpy(),
                               numpy_features(embedding.frequencies.numpy(), scaled), rtol=1e-12, atol=1e-12)


def test_mlp_with_features_equals_a_numpy_transcription():
    net = network("mlp", FEATURES, activation="sin").double()
    x = points()
    scaled = 2 * (x - np.array(LOWER)) / (np.array(UPPER) - np.array(LOWER)) - 1
    h = numpy_features(net.layers[1].frequencies.numpy(), scaled)
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    for i, layer in enumerate(linears):
        h = h @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
        h = np.sin(h) if i < len(linears) - 1 else h
    np.testing.assert_allclose(net(torch.tensor(x)).detach().numpy(), h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_config_records_the_features_only_when_on(kind):
    assert network(kind, {"count": 3, "scale": 2}).config["fourier_features"] == {"count": 3, "scale": 2.0}
    assert "fourier_features" not in network(kind).config
    assert network(kind).layers[1].in_features == 2  # no embedding: the first Linear takes the coordinates


@pytest.mark.parametrize("kind", sorted(NETWORKS))
@pytest.mark.parametrize("fourier_features", [None, FEATURES])
def test_state_dict_round_trip_reproduces_outputs(kind, fourier_features):
    net = network(kind, fourier_features, seed=1)
    config = json.loads(json.dumps(net.config))  # as stored in a result file
    torch.manual_seed(2)
    rebuilt = build_network(config)
    x = torch.tensor(points(), dtype=torch.float32)
    assert not torch.equal(rebuilt(x), net(x))
    rebuilt.load_state_dict(net.state_dict())
    assert torch.equal(rebuilt(x), net(x))


@pytest.mark.parametrize("fourier_features", [[3, 1.0], {"count": 3}, {"count": 3, "scale": 1.0, "seed": 0},
                                              {"count": 0, "scale": 1.0}, {"count": 2.5, "scale": 1.0},
                                              {"count": 3, "scale": 0.0}, {"count": 3, "scale": float("inf")}])
def test_bad_feature_options_are_value_errors(fourier_features):
    with pytest.raises(ValueError, match="fourier_features"):
        network("mlp", fourier_features)


# -- derivatives a residual reads, in every family ------------------------------------------------

@pytest.mark.parametrize("kind", sorted(NETWORKS))
@pytest.mark.parametrize("fourier_features", [None, FEATURES])
@pytest.mark.parametrize("activation", ["tanh", "sin", "gelu"])
def test_fields_derivatives_match_per_point_jacobians_and_hessians(kind, fourier_features, activation):
    net = network(kind, fourier_features, seed=3, activation=activation).double()
    pts = torch.tensor(points(6, seed=3), requires_grad=True)
    f = Fields(pts, net, ["u", "v"], ["x", "t"])
    for i, p in enumerate(pts.detach()):
        jacobian = torch.autograd.functional.jacobian(lambda q: net(q[None])[0], p)
        for k, field in enumerate(["u", "v"]):
            hessian = torch.autograd.functional.hessian(lambda q, k=k: net(q[None])[0, k], p)
            expected = {"x": jacobian[k, 0], "t": jacobian[k, 1], "xx": hessian[0, 0], "tt": hessian[1, 1],
                        "xt": hessian[0, 1], "tx": hessian[1, 0]}
            for name, value in expected.items():
                got = f[f"{field}_{name}"][i].item()
                assert got == pytest.approx(value.item(), rel=1e-10, abs=1e-10), f"{field}_{name} at point {i}"


# -- the YAML option -----------------------------------------------------------------------------

def network_spec(network):
    document = {"variables": {"x": [0, 1], "t": [0, 1]}, "fields": ["u"], "pde": "u_t - u_xx", "network": network}
    return build_spec(document).network


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_spec_accepts_features_for_every_family(kind):
    options = network_spec({"type": kind, "fourier_features": {"count": 16, "scale": 1}})
    assert options["fourier_features"] == {"count": 16, "scale": 1.0}
    net = build_network(options | {"lower": [0, 0], "upper": [1, 1], "outputs": 1})
    assert net.config["fourier_features"] == {"count": 16, "scale": 1.0}
    assert "fourier_features" not in network_spec({"type": kind})


@pytest.mark.parametrize("features, path, message", [
    ([16, 1.0], "network.fourier_features", "expected a mapping"),
    ({"scale": 1.0}, "network.fourier_features.count", "missing (required)"),
    ({"count": 16}, "network.fourier_features.scale", "missing (required)"),
    ({"count": 16, "scale": 1.0, "seed": 3}, "network.fourier_features.seed", "unknown key"),
    ({"count": 0, "scale": 1.0}, "network.fourier_features.count", "must lie in [1, 4096], got 0"),
    ({"count": 1.5, "scale": 1.0}, "network.fourier_features.count", "expected a whole number, got 1.5"),
    ({"count": 16, "scale": 0}, "network.fourier_features.scale", "must be positive, got 0"),
    ({"count": 16, "scale": -2.0}, "network.fourier_features.scale", "must be positive, got -2.0"),
    ({"count": 16, "scale": "wide"}, "network.fourier_features.scale", "expected a finite number, got 'wide'"),
])
def test_spec_errors_name_the_field(features, path, message):
    with pytest.raises(SpecError) as caught:
        network_spec({"type": "resnet", "fourier_features": features})
    assert caught.value.path == path
    assert message in caught.value.message
