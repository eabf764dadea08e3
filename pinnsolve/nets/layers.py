"""Pieces shared by every network family: activations, input scaling and weight initialisation."""


import torch
from torch import nn


class Sine(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


ACTIVATIONS = {"tanh": nn.Tanh, "sin": Sine, "gelu": nn.GELU, "silu": nn.SiLU}
INITS = ("xavier", "kaiming")


def activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def initialise(layer: nn.Linear, init: str, activation_name: str) -> None:
    """Xavier (Glorot) normal keeps tanh/sin pre-activations at unit scale; Kaiming suits gelu/silu.
    Biases start at zero."""
    if init == "xavier":
        nn.init.xavier_normal_(layer.weight, gain=nn.init.calculate_gain("tanh") if activation_name == "tanh" else 1.0)
    elif init == "kaiming":
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    else:
        raise ValueError(f"unknown init {init!r}; expected one of {', '.join(INITS)}")
    nn.init.zeros_(layer.bias)


class InputScaling(nn.Module):
    """Maps the domain box onto [-1, 1]^d, where tanh-type networks are well conditioned."""

    def __init__(self, lower, upper):
        super().__init__()
        lower = torch.as_tensor(lower, dtype=torch.get_default_dtype())
        upper = torch.as_tensor(upper, dtype=torch.get_default_dtype())
        self.register_buffer("centre", (upper + lower) / 2)
        self.register_buffer("half_width", (upper - lower) / 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.centre) / self.half_width
