"""Network families for coordinate inputs, chosen by name: ``network: {type: mlp, ...}``.

``mlp`` (fully connected), ``resnet`` and ``adaresnet`` (residual blocks, fixed or trainable skip
weights); each takes an optional Fourier-feature input embedding (:mod:`pinnsolve.nets.features`).
"""

from torch import nn

from pinnsolve.nets.features import FourierFeatures
from pinnsolve.nets.layers import ACTIVATIONS, INITS
from pinnsolve.nets.mlp import MLP
from pinnsolve.nets.resnet import AdaResNet, ResNet
from pinnsolve.nets.transform import OutputTransform

NETWORKS = {"mlp": MLP, "resnet": ResNet, "adaresnet": AdaResNet}


def build_network(config: dict) -> nn.Module:
    """A network from its ``config`` (the attribute every network carries, stored in result files):
    the family's options, plus ``output_transform``, ``fields``, ``variables`` and ``params`` for
    hard constraints."""
    options = dict(config)
    if options.get("output_transform"):
        wrapper = {k: options.pop(k) for k in ("output_transform", "fields", "variables", "params")}
        return OutputTransform(build_network(options), wrapper["fields"], wrapper["variables"],
                               wrapper["output_transform"], wrapper["params"])
    options.pop("output_transform", None)
    if options.get("type") not in NETWORKS:
        raise ValueError(f"unknown network type {options.get('type')!r}; expected one of {', '.join(NETWORKS)}")
    family = NETWORKS[options.pop("type")]
    return family(**options)


__all__ = ["ACTIVATIONS", "INITS", "MLP", "NETWORKS", "AdaResNet", "FourierFeatures", "OutputTransform", "ResNet",
           "build_network"]
