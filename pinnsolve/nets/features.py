"""The input stage every network family starts with: scaling onto [-1, 1]^d, then optionally an
exactly periodic embedding of some coordinates, then optionally a Fourier-feature embedding.

Periodic embedding (Dong & Ni 2021, "A method for representing periodic functions and enforcing
exactly periodic boundary conditions with deep neural networks"): a coordinate x̂ ∈ [-1, 1] whose
solution is periodic over the domain is replaced by cos(kπx̂), sin(kπx̂), k = 1..K, so every function
the network represents is periodic with the domain's length, with all its derivatives: a periodic
condition holds exactly and needs no loss term. x̂ is first wrapped onto [-1, 1), so the two ends
give bit-identical features (sin(π) and sin(-π) differ in sign otherwise): a periodic condition
term left in the problem then has a loss, and a gradient, of exactly zero.

Fourier features (Tancik et al. 2020, "Fourier features let networks learn high frequency
functions in low dimensional domains"; for PINNs Wang, Wang & Perdikaris 2021, "On the eigenvector
bias of Fourier feature networks: from regression to solving multi-scale PDEs with physics-informed
neural networks") map the scaled coordinates x to
γ(x) = [cos(2π B x), sin(2π B x)] with B ∈ R^{m×d} drawn once from N(0, σ²). A plain network on
coordinates learns low frequencies first (spectral bias); the embedding lets it represent
frequencies of order σ from the start, so σ trades smoothness for resolving sharp features.
"""

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from pinnsolve.nets.layers import InputScaling


class FourierFeatures(nn.Module):
    """γ(x) = [cos(2πBx), sin(2πBx)], 2·count outputs. B is a buffer, not a parameter: it stays fixed
    during training, as in the papers, and is saved in the state dict, so a reloaded network uses
    exactly the same frequencies whatever the random state when it is rebuilt."""

    def __init__(self, inputs: int, count: int, scale: float):
        super().__init__()
        self.register_buffer("frequencies", torch.randn(count, inputs) * scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        angles = 2 * math.pi * x @ self.frequencies.T
        return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)


class PeriodicEmbedding(nn.Module):
    """Each input i with harmonics[i] = K > 0 becomes [cos(kπx̂ᵢ), sin(kπx̂ᵢ)]_{k=1..K}; inputs with 0
    pass through. Outputs: the pass-through inputs, the cosines, then the sines."""

    def __init__(self, harmonics: Sequence[int]):
        super().__init__()
        # index tensors, rebuilt from the config: not part of the state dict
        self.register_buffer("passed", torch.tensor([i for i, k in enumerate(harmonics) if k == 0]), persistent=False)
        self.register_buffer("source", torch.tensor([i for i, k in enumerate(harmonics) for _ in range(k)]),
                             persistent=False)
        self.register_buffer("multiples", torch.tensor([m for k in harmonics for m in range(1, k + 1)]),
                             persistent=False)
        self.features = len(self.passed) + 2 * len(self.source)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        wrapped = torch.remainder(x[..., self.source] + 1, 2) - 1
        angles = math.pi * self.multiples.to(x.dtype) * wrapped
        return torch.cat([x[..., self.passed], torch.cos(angles), torch.sin(angles)], dim=-1)


def input_stage(lower, upper, fourier_features: Mapping | None = None,
                periodic: Sequence[int] | None = None) -> tuple[list[nn.Module], int, dict]:
    """The modules a family puts before its first Linear layer, the number of features they output
    (that layer's ``in_features``), and the config entries that rebuild them. ``periodic`` lists the
    harmonics K of each input (0: not periodic), or is None for none; ``fourier_features`` is
    ``{"count": m, "scale": σ}`` or None for none. An entry is left out of the config when off,
    which is also how result files written before the option existed read back."""
    config = {"lower": list(map(float, lower)), "upper": list(map(float, upper))}
    modules: list[nn.Module] = [InputScaling(lower, upper)]
    features = len(config["lower"])
    if periodic is not None:
        harmonics = list(periodic)
        if len(harmonics) != features or any(isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in harmonics):
            raise ValueError(f"periodic must list {features} integers >= 0 (harmonics per input), got {periodic!r}")
        if any(harmonics):
            embedding = PeriodicEmbedding(harmonics)
            modules.append(embedding)
            features = embedding.features
            config["periodic"] = harmonics
    if fourier_features is not None:
        if not isinstance(fourier_features, Mapping) or set(fourier_features) != {"count", "scale"}:
            raise ValueError(f"fourier_features must be {{'count': m, 'scale': sigma}}, got {fourier_features!r}")
        count, scale = fourier_features["count"], float(fourier_features["scale"])
        if isinstance(count, bool) or not isinstance(count, int) or count < 1 or not 0 < scale < math.inf:
            raise ValueError(f"fourier_features needs an integer count >= 1 and a finite scale > 0, "
                             f"got {dict(fourier_features)!r}")
        modules.append(FourierFeatures(features, count, scale))
        features = 2 * count
        config["fourier_features"] = {"count": count, "scale": scale}
    return modules, features, config
