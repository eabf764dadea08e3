"""Network families for coordinate inputs, chosen by name: ``network: {type: mlp, ...}``."""

from torch import nn

from pinnsolve.nets.layers import ACTIVATIONS, INITS
from pinnsolve.nets.mlp import MLP

NETWORKS = {"mlp": MLP}


def build_network(config: dict) -> nn.Module:
    """Rebuild a network from the ``config`` attribute it carries (as stored in a result file)."""
    options = dict(config)
    if options.get("type") not in NETWORKS:
        raise ValueError(f"unknown network type {options.get('type')!r}; expected one of {', '.join(NETWORKS)}")
    family = NETWORKS[options.pop("type")]
    options["activation_name"] = options.pop("activation")
    return family(**options)


__all__ = ["ACTIVATIONS", "INITS", "MLP", "NETWORKS", "build_network"]
