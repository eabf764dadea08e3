"""What a network's weights do while it learns, logged with the losses (``norm/...``, ``skip/...``).

The Frobenius norm of every Linear layer's weight shows layers that grow or die; the AdaResNet skip
weights show how much each block passes its input on. Names are module paths (``layers.1``).
"""

import torch
from torch import nn

from pinnsolve.nets.resnet import ResidualBlock


def weight_summary(network: nn.Module) -> dict[str, float]:
    summary = {}
    with torch.no_grad():
        for name, module in network.named_modules():
            if isinstance(module, nn.Linear):
                summary[f"norm/{name}"] = float(torch.linalg.matrix_norm(module.weight))
            elif isinstance(module, ResidualBlock) and module.skip is not None:
                summary[f"skip/{name}"] = float(module.skip)
    return summary
