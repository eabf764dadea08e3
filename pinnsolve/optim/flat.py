"""The trainable tensors as one vector, the space the second-order methods work in."""

import torch


def flatten(tensors) -> torch.Tensor:
    """The tensors' values, one after the other, as one detached 1-D tensor."""
    return torch.cat([t.detach().reshape(-1) for t in tensors])


@torch.no_grad()
def assign(params: list[torch.Tensor], x: torch.Tensor) -> None:
    """Copy the vector ``x`` into the tensors, in the order :func:`flatten` reads them."""
    offset = 0
    for p in params:
        p.copy_(x[offset:offset + p.numel()].view_as(p))
        offset += p.numel()
