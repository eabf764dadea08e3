"""Hard constraints: an expression that maps the raw network output to the field.

``{"u": "-sin(pi*x) + t*(1 - x**2)*u"}`` makes u(x, 0) = -sin(πx) and u(±1, t) = 0 hold exactly
for any network output u (Lagaris, Likas & Fotiadis 1998; Lu et al. 2021, "Physics-informed
neural networks with hard constraints for inverse design"), so those conditions need no loss term
and the optimizer spends its effort on the PDE alone. Inside the expression a field name means the
raw network output; variables and parameters are available by name, parameters read at each call
(so an unknown parameter being trained is seen at its current value). Derivatives flow through the
transform by autograd like through any other layer.
"""

from collections.abc import Mapping

import torch
from torch import nn

from pinnsolve.expressions import compile_expression
from pinnsolve.problem import Params


class OutputTransform(nn.Module):
    def __init__(self, network: nn.Module, fields: list[str], variables: list[str],
                 transforms: Mapping[str, str], params: Mapping[str, float] | None = None, path: str = "output_transform"):
        super().__init__()
        self.network = network
        self.fields, self.variables = list(fields), list(variables)
        # the problem's own Params, read at each call: its values may be tensors being trained
        self.params = params if isinstance(params, Params) else Params(params)
        unknown = set(transforms) - set(self.fields)
        if unknown:
            raise ValueError(f"{path}: no field named {sorted(unknown)[0]!r}; fields are {', '.join(self.fields)}")
        symbols = self.fields + self.variables + list(self.params)
        self.transforms = {f: compile_expression(text, symbols, f"{path}.{f}") for f, text in transforms.items()}

    @property
    def config(self) -> dict:
        """What rebuilds this network, with the parameters' current values."""
        return dict(self.network.config) | {
            "output_transform": {f: e.text for f, e in self.transforms.items()}, "fields": self.fields,
            "variables": self.variables, "params": self.params.numbers()}

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        raw = self.network(points)
        env = {v: points[:, i] for i, v in enumerate(self.variables)} | {f: raw[:, j] for j, f in enumerate(self.fields)}
        env |= dict(self.params)
        columns = [self.transforms[f](env) if f in self.transforms else raw[:, j] for j, f in enumerate(self.fields)]
        return torch.stack([torch.as_tensor(c, dtype=raw.dtype, device=raw.device).expand(raw.shape[0]) for c in columns], dim=1)
