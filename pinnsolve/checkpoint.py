"""Checkpoint files: the complete state of a training run, to resume it where it stopped.

A checkpoint holds what :meth:`pinnsolve.train.Trainer.state_dict` returns (network, optimizer,
schedule, weighting, sampler and random-generator states, the current collocation points and the
history) plus the resolved spec it was trained from. It is written with ``torch.save`` through
:func:`pinnsolve.files.write_atomically` and read with ``torch.load(weights_only=True)``, which
unpickles only tensors and plain data: loading a checkpoint never runs code from the file.
"""

from pathlib import Path
from typing import Any

import torch

from pinnsolve.files import write_atomically

FORMAT = 3  # bumped when the layout changes; an older file is refused rather than misread


def save_checkpoint(path: str | Path, state: dict[str, Any], spec: str = "") -> Path:
    payload = {"format": FORMAT, "spec": spec, "trainer": state}
    return write_atomically(path, lambda temporary: torch.save(payload, temporary))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """``{"format", "spec", "trainer"}``; ValueError for a file that is not a readable checkpoint."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # torch raises many types for foreign or unsafe files
        raise ValueError(f"{path} is not a pinnsolve checkpoint ({type(error).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "trainer" not in payload:
        raise ValueError(f"{path} is not a pinnsolve checkpoint of format {FORMAT}")
    return payload
