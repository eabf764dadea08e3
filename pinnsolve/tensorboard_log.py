"""Optional TensorBoard logging: every logged row of the training history as scalars.

Needs the ``tensorboard`` package (``pip install tensorboard``), which pinnsolve does not require:
the HDF5 history holds the same numbers. Use it as a ``progress`` callback of :func:`solve`, or
with ``output: {tensorboard: true}`` in a spec; view with ``tensorboard --logdir DIR``.
"""

from collections.abc import Mapping
from pathlib import Path


def tensorboard_available() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


class TensorBoardLog:
    """A ``progress(step, total, row)`` callback writing the row's values (loss/pde, weight/...,
    rel_l2/u, norm/..., skip/..., lr) as scalars at ``step``."""

    def __init__(self, folder: str | Path):
        if not tensorboard_available():
            raise ImportError("TensorBoard logging needs the tensorboard package: pip install tensorboard")
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(folder))

    def __call__(self, step: int, total: int, row: Mapping[str, float]) -> None:
        for key, value in row.items():
            if key != "step":
                self.writer.add_scalar(key, value, global_step=step)

    def close(self) -> None:
        self.writer.close()
