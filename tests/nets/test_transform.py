"""Hard constraints through an output transform."""

import math

import pytest
import torch

from pinnsolve.derivatives import Fields
from pinnsolve.errors import SpecError
from pinnsolve.nets import MLP, OutputTransform, build_network

BURGERS = {"u": "-sin(pi*x) + t*(1 - x**2)*u"}


def burgers_net() -> OutputTransform:
    torch.manual_seed(1)
    return OutputTransform(MLP([-1, 0], [1, 1], 1, width=8, depth=2), ["u"], ["x", "t"], BURGERS).double()


def test_conditions_hold_exactly_for_any_weights():
    net = burgers_net()
    x = torch.linspace(-1, 1, 11, dtype=torch.float64)
    initial = net(torch.stack([x, torch.zeros_like(x)], 1))[:, 0]
    torch.testing.assert_close(initial, -torch.sin(math.pi * x), rtol=0, atol=1e-15)
    t = torch.linspace(0, 1, 11, dtype=torch.float64)
    for side in (-1.0, 1.0):
        assert net(torch.stack([torch.full_like(t, side), t], 1)).abs().max() < 1e-15


def test_derivatives_follow_the_product_rule():
    net = burgers_net()
    points = torch.rand(7, 2, dtype=torch.float64).mul(2).sub(1).abs().requires_grad_(True)
    f = Fields(points, net, ["u"], ["x", "t"])
    raw = Fields(points, net.network, ["u"], ["x", "t"])
    x, t = points[:, 0], points[:, 1]
    # u = -sin(πx) + t(1 - x²)N  =>  u_t = (1 - x²)N + t(1 - x²)N_t
    expected = (1 - x**2) * raw.u + t * (1 - x**2) * raw.u_t
    torch.testing.assert_close(f.u_t, expected, rtol=1e-12, atol=1e-12)


def test_untransformed_fields_pass_through_and_params_are_read():
    torch.manual_seed(0)
    inner = MLP([0], [1], 2, width=4, depth=1).double()
    net = OutputTransform(inner, ["u", "v"], ["x"], {"v": "a*x*v"}, {"a": 3.0})
    points = torch.rand(5, 1, dtype=torch.float64)
    raw, out = inner(points), net(points)
    torch.testing.assert_close(out[:, 0], raw[:, 0])
    torch.testing.assert_close(out[:, 1], 3.0 * points[:, 0] * raw[:, 1])


def test_constant_transform_broadcasts():
    net = OutputTransform(MLP([0], [1], 1, width=3, depth=1), ["u"], ["x"], {"u": "2"})
    assert torch.equal(net(torch.rand(4, 1)), torch.full((4, 1), 2.0))


def test_rebuilt_from_config_gives_the_same_outputs():
    net = burgers_net()
    copy = build_network(net.config).double()
    copy.load_state_dict(net.state_dict())
    points = torch.rand(9, 2, dtype=torch.float64)
    assert torch.equal(copy(points), net(points))


def test_bad_transforms_are_refused():
    with pytest.raises(ValueError, match="no field named 'w'"):
        OutputTransform(MLP([0], [1], 1), ["u"], ["x"], {"w": "x"})
    with pytest.raises(SpecError, match="output_transform.u"):
        OutputTransform(MLP([0], [1], 1), ["u"], ["x"], {"u": "y*u"})
