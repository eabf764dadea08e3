"""Fully connected network: input scaling, ``depth`` hidden layers of ``width`` units, linear output."""

import torch
from torch import nn

from pinnsolve.nets.layers import InputScaling, activation, initialise


class MLP(nn.Module):
    def __init__(self, lower, upper, outputs: int, width: int = 20, depth: int = 4,
                 activation_name: str = "tanh", init: str = "xavier"):
        super().__init__()
        if width < 1 or depth < 1 or outputs < 1:
            raise ValueError("width, depth and outputs must be at least 1")
        self.config = {"type": "mlp", "lower": list(map(float, lower)), "upper": list(map(float, upper)),
                       "outputs": outputs, "width": width, "depth": depth, "activation": activation_name, "init": init}
        sizes = [len(self.config["lower"])] + [width] * depth
        layers: list[nn.Module] = [InputScaling(lower, upper)]
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            linear = nn.Linear(n_in, n_out)
            initialise(linear, init, activation_name)
            layers += [linear, activation(activation_name)]
        output = nn.Linear(width, outputs)
        initialise(output, init, activation_name)
        self.layers = nn.Sequential(*layers, output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
