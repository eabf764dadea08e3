"""Residual networks for coordinate inputs: ResNet and AdaResNet.

Both are: input stage (scaling, optional Fourier features), a Linear layer to ``width`` units and
the activation, ``blocks`` residual blocks, a linear output layer. A block computes
y = act(F(x) + w·x), where F is ``layers_per_block`` Linear layers with the activation between
them but not after the last one (He et al. 2016, "Deep residual learning for image recognition").
The skip path lets gradients bypass F, which keeps deep stacks trainable.

ResNet fixes w = 1. AdaResNet (Su 2024, "AdaResNet: enhancing residual networks with dynamic
weight adjustment", arXiv:2408.09958) trains one scalar w per block, so each block learns how much
of its input to pass on; the reference design starts at w = 0 (``skip_init``).
"""

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from pinnsolve.nets import layers as parts
from pinnsolve.nets.features import input_stage


class ResidualBlock(nn.Module):
    """y = act(F(x) + w·x); w is the fixed 1 when ``skip_init`` is None, else a trainable scalar
    starting at ``skip_init``."""

    def __init__(self, width: int, layers: int, activation: str, init: str, skip_init: float | None = None):
        super().__init__()
        stack: list[nn.Module] = []
        for _ in range(layers):
            linear = nn.Linear(width, width)
            parts.initialise(linear, init, activation)
            stack += [linear, parts.activation(activation)]
        self.residual = nn.Sequential(*stack[:-1])  # F ends linear: the activation comes after the sum
        self.activation = parts.activation(activation)
        self.skip = None if skip_init is None else nn.Parameter(torch.tensor(float(skip_init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.residual(x) + (x if self.skip is None else self.skip * x))


class _Residual(nn.Module):
    """The network both families share; ``skip_init`` None makes it a ResNet."""

    def __init__(self, lower, upper, outputs: int, width: int, blocks: int, layers_per_block: int,
                 activation: str, init: str, fourier_features: Mapping | None,
                 periodic: Sequence[int] | None, skip_init: float | None):
        super().__init__()
        if min(outputs, width, blocks, layers_per_block) < 1:
            raise ValueError("width, blocks, layers_per_block and outputs must be at least 1")
        stage, features, stage_config = input_stage(lower, upper, fourier_features, periodic)
        self.config = {"type": "resnet" if skip_init is None else "adaresnet", **stage_config, "outputs": outputs,
                       "width": width, "blocks": blocks, "layers_per_block": layers_per_block,
                       "activation": activation, "init": init}
        if skip_init is not None:
            self.config["skip_init"] = float(skip_init)
        lift, output = nn.Linear(features, width), nn.Linear(width, outputs)
        for linear in (lift, output):
            parts.initialise(linear, init, activation)
        self.layers = nn.Sequential(
            *stage, lift, parts.activation(activation),
            *(ResidualBlock(width, layers_per_block, activation, init, skip_init) for _ in range(blocks)),
            output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class ResNet(_Residual):
    def __init__(self, lower, upper, outputs: int, width: int = 32, blocks: int = 2, layers_per_block: int = 2,
                 activation: str = "tanh", init: str = "xavier", fourier_features: Mapping | None = None,
                 periodic: Sequence[int] | None = None):
        super().__init__(lower, upper, outputs, width, blocks, layers_per_block, activation, init, fourier_features,
                         periodic, skip_init=None)


class AdaResNet(_Residual):
    def __init__(self, lower, upper, outputs: int, width: int = 32, blocks: int = 2, layers_per_block: int = 2,
                 activation: str = "tanh", init: str = "xavier", fourier_features: Mapping | None = None,
                 periodic: Sequence[int] | None = None, skip_init: float = 0.0):
        super().__init__(lower, upper, outputs, width, blocks, layers_per_block, activation, init, fourier_features,
                         periodic, skip_init=float(skip_init))

    def skip_weights(self) -> list[float]:
        """The current skip weight w of each block, first to last, for monitoring."""
        return [block.skip.item() for block in self.layers if isinstance(block, ResidualBlock)]
