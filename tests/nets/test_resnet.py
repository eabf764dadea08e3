"""Tests of ResNet and AdaResNet: layer sizes, the residual block against hand computations, the
trainable skip weights, rebuilding from the config, and the YAML options."""

import json

import numpy as np
import pytest
import torch

from pinnsolve.errors import SpecError
from pinnsolve.nets import ACTIVATIONS, AdaResNet, ResNet, build_network
from pinnsolve.nets.resnet import ResidualBlock
from pinnsolve.spec import build_spec

LOWER, UPPER = [-2.0, 0.0], [3.0, 0.5]
ACT = {"tanh": np.tanh, "sin": np.sin, "silu": lambda z: z / (1 + np.exp(-z))}


def linears(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


def blocks(net):
    return [m for m in net.modules() if isinstance(m, ResidualBlock)]


def numpy_residual(block, x, act):
    """F(x) by hand: the block's Linear layers with the activation between them, none after the last."""
    layers = linears(block)
    for i, layer in enumerate(layers):
        x = x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
        if i < len(layers) - 1:
            x = act(x)
    return x


def random_block(width=6, layers=2, activation="tanh", skip_init=None, seed=0):
    torch.manual_seed(seed)
    block = ResidualBlock(width, layers, activation, "xavier", skip_init).double()
    for layer in linears(block):  # nonzero biases, so a misplaced bias would show
        torch.nn.init.normal_(layer.bias)
    return block


def points(n=9, seed=0):
    return np.random.default_rng(seed).uniform(LOWER, UPPER, size=(n, 2))


@pytest.mark.parametrize("family", [ResNet, AdaResNet])
@pytest.mark.parametrize("outputs, width, n_blocks, per_block", [(1, 20, 2, 2), (3, 7, 1, 1), (2, 5, 3, 3)])
def test_output_shape_and_layer_sizes(family, outputs, width, n_blocks, per_block):
    net = family(LOWER, UPPER, outputs, width=width, blocks=n_blocks, layers_per_block=per_block)
    assert net(torch.rand(11, 2)).shape == (11, outputs)
    sizes = [(m.in_features, m.out_features) for m in linears(net)]
    assert sizes == [(2, width)] + [(width, width)] * (n_blocks * per_block) + [(width, outputs)]
    assert len(blocks(net)) == n_blocks


def test_defaults_and_config():
    assert ResNet([0], [1], 1).config == {
        "type": "resnet", "lower": [0.0], "upper": [1.0], "outputs": 1, "width": 32, "blocks": 2,
        "layers_per_block": 2, "activation": "tanh", "init": "xavier"}
    net = AdaResNet((-1, 0), (1, 2), 2, width=4, blocks=3, layers_per_block=1, activation="sin", init="kaiming",
                    skip_init=1)
    assert net.config == {"type": "adaresnet", "lower": [-1.0, 0.0], "upper": [1.0, 2.0], "outputs": 2, "width": 4,
                          "blocks": 3, "layers_per_block": 1, "activation": "sin", "init": "kaiming", "skip_init": 1.0}
    assert AdaResNet([0], [1], 1).config["skip_init"] == 0.0


@pytest.mark.parametrize("per_block", [1, 2, 3])
@pytest.mark.parametrize("activation", sorted(ACT))
def test_resnet_block_is_act_of_x_plus_f_of_x(activation, per_block):
    block = random_block(layers=per_block, activation=activation)
    x = np.random.default_rng(1).normal(size=(7, 6))
    expected = ACT[activation](x + numpy_residual(block, x, ACT[activation]))
    np.testing.assert_allclose(block(torch.tensor(x)).detach().numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_resnet_block_with_zero_residual_is_the_activation_of_its_input(activation):
    block = random_block(layers=2, activation=activation)
    with torch.no_grad():
        for layer in linears(block):
            layer.weight.zero_()
            layer.bias.zero_()
    x = torch.randn(8, 6, dtype=torch.float64)
    assert torch.equal(block(x), ACTIVATIONS[activation]()(x))


def test_adaresnet_block_with_zero_skip_is_the_plain_stack():
    block = random_block(layers=2, skip_init=0.0)
    x = np.random.default_rng(2).normal(size=(7, 6))
    expected = np.tanh(numpy_residual(block, x, np.tanh))
    np.testing.assert_allclose(block(torch.tensor(x)).detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_adaresnet_block_scales_its_skip_path():
    block = random_block(layers=2, skip_init=-0.75)  # exact in float32, where the parameter is created
    x = np.random.default_rng(3).normal(size=(7, 6))
    expected = np.tanh(numpy_residual(block, x, np.tanh) - 0.75 * x)
    np.testing.assert_allclose(block(torch.tensor(x)).detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_adaresnet_with_unit_skip_init_equals_the_resnet():
    ada, plain = random_block(skip_init=1.0, seed=4), random_block(skip_init=None, seed=5)
    plain.load_state_dict({k: v for k, v in ada.state_dict().items() if k != "skip"})
    x = torch.randn(8, 6, dtype=torch.float64)
    assert torch.equal(ada(x), plain(x))

    torch.manual_seed(6)
    ada_net = AdaResNet(LOWER, UPPER, 2, width=5, blocks=3, skip_init=1.0).double()
    torch.manual_seed(6)
    plain_net = ResNet(LOWER, UPPER, 2, width=5, blocks=3).double()
    x = torch.tensor(points())
    assert torch.equal(ada_net(x), plain_net(x))


def test_only_adaresnet_has_skip_parameters():
    plain = ResNet(LOWER, UPPER, 1, width=5, blocks=3)
    ada = AdaResNet(LOWER, UPPER, 1, width=5, blocks=3, skip_init=0.25)
    assert sum(p.numel() for p in ada.parameters()) == sum(p.numel() for p in plain.parameters()) + 3
    assert ada.skip_weights() == [0.25, 0.25, 0.25]
    assert all(type(w) is float for w in ada.skip_weights())


@pytest.mark.parametrize("skip_init", [0.0, 1.0])
def test_gradients_reach_every_skip_weight_and_a_step_moves_them(skip_init):
    torch.manual_seed(7)
    net = AdaResNet(LOWER, UPPER, 1, width=8, blocks=3, skip_init=skip_init).double()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.tensor(points(32))
    before = net.skip_weights()
    loss = (net(x) - 1).pow(2).mean()
    loss.backward()
    for block in blocks(net):
        assert block.skip.grad is not None and block.skip.grad.abs() > 1e-8
    optimizer.step()
    assert all(abs(a - b) > 1e-4 for a, b in zip(net.skip_weights(), before))


OPTIONS = [
    ("resnet", {}),
    ("resnet", {"width": 7, "blocks": 3, "layers_per_block": 1, "activation": "sin", "init": "kaiming"}),
    ("resnet", {"activation": "gelu", "fourier_features": {"count": 5, "scale": 2.0}}),
    ("adaresnet", {}),
    ("adaresnet", {"blocks": 1, "layers_per_block": 3, "activation": "silu", "skip_init": 1.0}),
    ("adaresnet", {"skip_init": -0.5, "fourier_features": {"count": 3, "scale": 0.5}}),
]


@pytest.mark.parametrize("kind, options", OPTIONS)
def test_build_network_from_config_reproduces_outputs(kind, options):
    torch.manual_seed(8)
    net = build_network({"type": kind, "lower": LOWER, "upper": UPPER, "outputs": 2} | options)
    if kind == "adaresnet":  # trained skip weights must be restored too
        with torch.no_grad():
            for i, block in enumerate(blocks(net)):
                block.skip.add_(0.1 * (i + 1))
    config = json.loads(json.dumps(net.config))  # as stored in a result file
    assert {k: config[k] for k in options} == options
    torch.manual_seed(9)
    rebuilt = build_network(config)
    assert type(rebuilt) is type(net) and rebuilt.config == net.config
    x = torch.tensor(points(), dtype=torch.float32)
    assert not torch.equal(rebuilt(x), net(x))  # a fresh initialisation differs ...
    rebuilt.load_state_dict(net.state_dict())
    assert torch.equal(rebuilt(x), net(x))  # ... and the weights make it the same network


@pytest.mark.parametrize("family", [ResNet, AdaResNet])
@pytest.mark.parametrize("kwargs", [dict(width=0), dict(blocks=0), dict(layers_per_block=0), dict(outputs=0)])
def test_sizes_below_one_are_value_errors(family, kwargs):
    with pytest.raises(ValueError, match="at least 1"):
        family(**dict(lower=LOWER, upper=UPPER, outputs=1) | kwargs)


# -- the YAML options ----------------------------------------------------------------------------

def network_spec(network):
    document = {"variables": {"x": [0, 1], "t": [0, 1]}, "fields": ["u"], "pde": "u_t - u_xx", "network": network}
    return build_spec(document).network


def test_spec_defaults_per_family():
    assert network_spec({"type": "resnet"}) == {"type": "resnet", "width": 32, "activation": "tanh", "init": "xavier",
                                                "blocks": 2, "layers_per_block": 2}
    assert network_spec({"type": "adaresnet", "blocks": 4, "layers_per_block": 1, "skip_init": 1}) == {
        "type": "adaresnet", "width": 32, "activation": "tanh", "init": "xavier", "blocks": 4,
        "layers_per_block": 1, "skip_init": 1.0}
    assert "blocks" not in network_spec({}) and network_spec({})["depth"] == 4


def test_spec_network_builds():
    options = network_spec({"type": "adaresnet", "width": 6, "blocks": 3, "skip_init": 0.5})
    net = build_network(options | {"lower": [0, 0], "upper": [1, 1], "outputs": 1})
    assert isinstance(net, AdaResNet) and net.skip_weights() == [0.5] * 3


@pytest.mark.parametrize("network, path, message", [
    ({"type": "resnet", "blocks": 0}, "network.blocks", "must lie in [1, 256], got 0"),
    ({"type": "adaresnet", "blocks": 2.5}, "network.blocks", "expected a whole number, got 2.5"),
    ({"type": "resnet", "blocks": True}, "network.blocks", "expected a whole number, got True"),
    ({"blocks": 2}, "network.blocks", "only for types resnet, adaresnet"),
    ({"type": "resnet", "layers_per_block": 0}, "network.layers_per_block", "must lie in [1, 256], got 0"),
    ({"type": "resnet", "layers_per_block": "two"}, "network.layers_per_block", "expected a whole number, got 'two'"),
    ({"type": "mlp", "layers_per_block": 2}, "network.layers_per_block", "only for types resnet, adaresnet"),
    ({"type": "resnet", "skip_init": 0.0}, "network.skip_init", "only for type adaresnet"),
    ({"skip_init": 1.0}, "network.skip_init", "only for type adaresnet"),
    ({"type": "adaresnet", "skip_init": "zero"}, "network.skip_init", "expected a finite number, got 'zero'"),
    ({"type": "adaresnet", "skip_init": float("nan")}, "network.skip_init", "expected a finite number, got nan"),
    ({"type": "resnet", "depth": 4}, "network.depth", "only for type mlp"),
    ({"type": "adaresnet", "depth": 4}, "network.depth", "only for type mlp"),
    ({"type": "resnet", "widht": 4}, "network.widht", "unknown key"),
])
def test_spec_errors_name_the_field(network, path, message):
    with pytest.raises(SpecError) as caught:
        network_spec(network)
    assert caught.value.path == path
    assert message in caught.value.message
