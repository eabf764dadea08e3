"""Fully connected network: input stage (scaling, optional periodic and Fourier-feature
embeddings), ``depth`` hidden layers of ``width`` units, linear output."""

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from pinnsolve.nets import layers as parts
from pinnsolve.nets.features import input_stage


class MLP(nn.Module):
    def __init__(self, lower, upper, outputs: int, width: int = 32, depth: int = 4,
                 activation: str = "tanh", init: str = "xavier", fourier_features: Mapping | None = None,
                 periodic: Sequence[int] | None = None):
        super().__init__()
        if width < 1 or depth < 1 or outputs < 1:
            raise ValueError("width, depth and outputs must be at least 1")
        stage, features, stage_config = input_stage(lower, upper, fourier_features, periodic)
        self.config = {"type": "mlp", **stage_config, "outputs": outputs, "width": width, "depth": depth,
                       "activation": activation, "init": init}
        sizes = [features] + [width] * depth
        layers = stage
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            linear = nn.Linear(n_in, n_out)
            parts.initialise(linear, init, activation)
            layers += [linear, parts.activation(activation)]
        output = nn.Linear(width, outputs)
        parts.initialise(output, init, activation)
        self.layers = nn.Sequential(*layers, output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
