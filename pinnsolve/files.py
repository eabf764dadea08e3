"""Writing files so that a crash never leaves a broken one behind.

Every file pinnsolve writes (results, checkpoints, plots) goes to a temporary name in the same
folder, is flushed to disk, and is then renamed over the target. A rename within one file system is
atomic (POSIX ``rename``), so at any moment the target is either the old complete file or the new
complete one, whatever kills the process (``kill -9``, a power cut after the folder is synced).
"""

import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then move the finished file to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")  # keeps the suffix for writers that read it
    try:
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _sync_folder(path.parent)  # make the rename itself durable
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename is still atomic there
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
