"""Tests of the MLP: architecture against a NumPy forward pass, input scaling, initialisation,
rebuilding from its config, and autograd derivatives against finite differences."""

import copy
import json

import numpy as np
import pytest
import torch

from pinnsolve.derivatives import Fields
from pinnsolve.nets import ACTIVATIONS, INITS, MLP, build_network
from pinnsolve.nets.layers import InputScaling

LOWER, UPPER = [-2.0, 0.0], [3.0, 0.5]

NUMPY_ACTIVATIONS = {
    "tanh": np.tanh,
    "sin": np.sin,
    "silu": lambda z: z / (1 + np.exp(-z)),
}


def linears(net):
    return [m for m in net.modules() if isinstance(m, torch.nn.Linear)]


def numpy_forward(net, x, act):
    lo, hi = np.array(net.config["lower"]), np.array(net.config["upper"])
    h = 2 * (x - lo) / (hi - lo) - 1
    layers = linears(net)
    for layer in layers[:-1]:
        h = act(h @ layer.weight.detach().double().numpy().T + layer.bias.detach().double().numpy())
    last = layers[-1]
    return h @ last.weight.detach().double().numpy().T + last.bias.detach().double().numpy()


def test_offered_activations_and_inits():
    assert set(ACTIVATIONS) == {"tanh", "sin", "gelu", "silu"}
    assert set(INITS) == {"xavier", "kaiming"}


@pytest.mark.parametrize("outputs, width, depth", [(1, 20, 4), (3, 7, 1), (2, 5, 2)])
def test_output_shape_and_layer_sizes(outputs, width, depth):
    net = MLP(LOWER, UPPER, outputs, width=width, depth=depth)
    assert net(torch.rand(11, 2)).shape == (11, outputs)
    sizes = [(m.in_features, m.out_features) for m in linears(net)]
    assert sizes == [(2, width)] + [(width, width)] * (depth - 1) + [(width, outputs)]


def test_defaults_are_tanh_xavier_32_by_4():
    net = MLP([0], [1], 1)
    assert {k: net.config[k] for k in ("width", "depth", "activation", "init")} == {
        "width": 32, "depth": 4, "activation": "tanh", "init": "xavier"}


@pytest.mark.parametrize("name", sorted(NUMPY_ACTIVATIONS))
def test_forward_equals_a_numpy_transcription(name):
    torch.manual_seed(0)
    net = MLP(LOWER, UPPER, 2, width=6, depth=3, activation=name).double()
    x = np.random.default_rng(0).uniform(LOWER, UPPER, size=(9, 2))
    out = net(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, numpy_forward(net, x, NUMPY_ACTIVATIONS[name]), rtol=1e-12, atol=1e-12)


def test_gelu_is_the_exact_erf_gelu():
    from scipy.special import erf
    torch.manual_seed(0)
    net = MLP(LOWER, UPPER, 1, width=5, depth=2, activation="gelu").double()
    x = np.random.default_rng(1).uniform(LOWER, UPPER, size=(7, 2))
    gelu = lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2)))  # noqa: E731
    np.testing.assert_allclose(net(torch.tensor(x)).detach().numpy(), numpy_forward(net, x, gelu),
                               rtol=1e-12, atol=1e-12)


def test_input_scaling_maps_the_box_onto_minus_one_one():
    lower, upper = np.array([-2.0, 0.0, 10.0]), np.array([3.0, 0.5, 11.0])
    scaling = InputScaling(lower, upper).double()
    corners = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=float)
    box = lower + corners * (upper - lower)
    np.testing.assert_allclose(scaling(torch.tensor(box)).numpy(), 2 * corners - 1, atol=1e-15)
    np.testing.assert_allclose(scaling(torch.tensor((lower + upper)[None] / 2)).numpy(), 0.0, atol=1e-15)


def test_mlp_starts_with_the_input_scaling_of_its_box():
    net = MLP(LOWER, UPPER, 1)
    first = net.layers[0]
    assert isinstance(first, InputScaling)
    box = torch.tensor([LOWER, UPPER, [0.5, 0.25]])
    np.testing.assert_allclose(first(box).numpy(), [[-1, -1], [1, 1], [0, 0]], atol=1e-6)


def test_scaling_is_saved_in_the_state_dict():
    net = MLP(LOWER, UPPER, 1)
    state = net.state_dict()
    np.testing.assert_allclose(state["layers.0.centre"].numpy(), [0.5, 0.25])
    np.testing.assert_allclose(state["layers.0.half_width"].numpy(), [2.5, 0.25])


@pytest.mark.parametrize("init, activation, expected_std", [
    ("xavier", "tanh", lambda fi, fo: 5 / 3 * np.sqrt(2 / (fi + fo))),
    ("xavier", "sin", lambda fi, fo: np.sqrt(2 / (fi + fo))),
    ("kaiming", "gelu", lambda fi, fo: np.sqrt(2 / fi)),
    ("kaiming", "silu", lambda fi, fo: np.sqrt(2 / fi)),
])
def test_initialisation_scale_and_zero_biases(init, activation, expected_std):
    torch.manual_seed(0)
    net = MLP([0, 0], [1, 1], 1, width=200, depth=2, activation=activation, init=init)
    hidden = linears(net)[1]  # 200 x 200
    std = hidden.weight.detach().numpy().std()
    assert std == pytest.approx(expected_std(200, 200), rel=0.05)
    assert abs(hidden.weight.detach().numpy().mean()) < 0.05 * std
    for layer in linears(net):
        assert torch.all(layer.bias == 0)


def test_same_seed_same_network():
    torch.manual_seed(3)
    a = MLP(LOWER, UPPER, 2, width=8, depth=2)
    torch.manual_seed(3)
    b = MLP(LOWER, UPPER, 2, width=8, depth=2)
    torch.manual_seed(4)
    c = MLP(LOWER, UPPER, 2, width=8, depth=2)
    x = torch.rand(5, 2)
    assert torch.equal(a(x), b(x))
    assert not torch.allclose(a(x), c(x))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("init", INITS)
def test_build_network_from_config_reproduces_outputs(activation, init):
    torch.manual_seed(1)
    net = MLP(np.array(LOWER), np.array(UPPER), 3, width=9, depth=3, activation=activation, init=init)
    config = json.loads(json.dumps(net.config))  # as stored in a result file
    before = copy.deepcopy(config)
    rebuilt = build_network(config)
    assert config == before  # not consumed
    assert isinstance(rebuilt, MLP) and rebuilt.config == net.config
    rebuilt.load_state_dict(net.state_dict())
    x = torch.rand(13, 2) * torch.tensor([5.0, 0.5]) + torch.tensor([-2.0, 0.0])
    assert torch.equal(rebuilt(x), net(x))


def test_config_records_the_arguments():
    net = MLP((-1, 0), (1, 2), 2, width=4, depth=3, activation="sin", init="kaiming")
    assert net.config == {"type": "mlp", "lower": [-1.0, 0.0], "upper": [1.0, 2.0], "outputs": 2,
                          "width": 4, "depth": 3, "activation": "sin", "init": "kaiming"}


def central_differences(fn, x, h):
    """First and second partials (incl. the mixed one) of fn: (n,2)->(n,), O(h^2) central differences."""
    e = np.eye(2)
    first = [(fn(x + h * e[i]) - fn(x - h * e[i])) / (2 * h) for i in range(2)]
    second = [(fn(x + h * e[i]) - 2 * fn(x) + fn(x - h * e[i])) / h ** 2 for i in range(2)]
    mixed = (fn(x + h * (e[0] + e[1])) - fn(x + h * (e[0] - e[1]))
             - fn(x - h * (e[0] - e[1])) + fn(x - h * (e[0] + e[1]))) / (4 * h ** 2)
    return {"x": first[0], "t": first[1], "xx": second[0], "tt": second[1], "xt": mixed, "tx": mixed}


def finite_differences(fn, x, h=1e-3):
    """Richardson extrapolation of central differences at h and h/2: O(h^4) truncation error."""
    coarse, fine = central_differences(fn, x, h), central_differences(fn, x, h / 2)
    return {k: (4 * fine[k] - coarse[k]) / 3 for k in coarse}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_fields_derivatives_through_the_mlp_match_finite_differences(activation):
    torch.manual_seed(2)
    net = MLP(LOWER, UPPER, 2, width=12, depth=3, activation=activation).double()
    x = np.random.default_rng(2).uniform(LOWER, UPPER, size=(10, 2))
    pts = torch.tensor(x, requires_grad=True)
    f = Fields(pts, net, ["u", "v"], ["x", "t"])
    for k, field in enumerate(["u", "v"]):
        def fn(p, k=k):
            with torch.no_grad():
                return net(torch.tensor(p))[:, k].numpy()
        for name, expected in finite_differences(fn, x).items():
            got = f[f"{field}_{name}"].detach().numpy()
            scale = max(1.0, np.abs(expected).max())
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-7 * scale, err_msg=f"{field}_{name}")


@pytest.mark.parametrize("kwargs", [dict(width=0), dict(depth=0), dict(outputs=0), dict(width=-3)])
def test_sizes_below_one_are_value_errors(kwargs):
    args = dict(lower=LOWER, upper=UPPER, outputs=1) | kwargs
    with pytest.raises(ValueError, match="at least 1"):
        MLP(**args)


def test_unknown_activation_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="'relu'"):
        MLP(LOWER, UPPER, 1, activation="relu")


def test_unknown_init_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="'orthogonal'"):
        MLP(LOWER, UPPER, 1, init="orthogonal")


def test_build_network_rejects_unknown_type():
    with pytest.raises(ValueError, match="resnet9"):
        build_network({"type": "resnet9"})
