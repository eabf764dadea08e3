"""Weight monitoring: layer norms and AdaResNet skip weights, by name."""

import torch

from pinnsolve.nets import MLP, AdaResNet, OutputTransform, ResNet
from pinnsolve.nets.monitor import weight_summary


def test_norms_of_every_linear_layer():
    torch.manual_seed(0)
    net = MLP([0, 0], [1, 1], 1, width=5, depth=2)
    summary = weight_summary(net)
    linears = {n: m for n, m in net.named_modules() if isinstance(m, torch.nn.Linear)}
    assert set(summary) == {f"norm/{n}" for n in linears}
    for name, layer in linears.items():
        assert abs(summary[f"norm/{name}"] - float(layer.weight.detach().pow(2).sum().sqrt())) < 1e-6


def test_adaresnet_skip_weights_are_logged_and_resnet_has_none():
    ada = AdaResNet([0], [1], 1, width=4, blocks=3, skip_init=0.25)
    skips = {k: v for k, v in weight_summary(ada).items() if k.startswith("skip/")}
    assert list(skips.values()) == ada.skip_weights() == [0.25] * 3
    assert not any(k.startswith("skip/") for k in weight_summary(ResNet([0], [1], 1, width=4)))


def test_wrapped_networks_are_seen_through():
    net = OutputTransform(AdaResNet([0], [1], 1, width=4, blocks=2), ["u"], ["x"], {"u": "x*u"})
    assert sum(k.startswith("skip/network.") for k in weight_summary(net)) == 2
