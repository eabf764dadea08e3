"""Large tensors in CPU memory without page faults at every step.

glibc's malloc serves blocks above 32 MiB with mmap and gives them back to the system when freed.
A training step on a million collocation points allocates gigabytes of such blocks, so every step
mapped them afresh and faulted in (zeroed) every page: from 2.56·10⁵ to 1.02·10⁶ points the step
took 9.6 to 14 times as long, against 3.9 with this setting (``python3 benchmarks/scaling.py points``,
with and without ``--glibc-default``). Serving large blocks from
the heap and keeping freed memory lets each step reuse the last one's. PyTorch's CPU performance
guide suggests preloading jemalloc or tcmalloc for the same reason; this needs nothing preloaded.
"""

import ctypes
import ctypes.util
import functools
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h


@functools.cache
def keep_freed_memory() -> bool:
    """Ask glibc to serve blocks up to 1 GiB from the heap and keep what is freed (once per process);
    False where the C library is not glibc (nothing changes there)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, ctypes.c_int(2**30)) and mallopt(M_TRIM_THRESHOLD, ctypes.c_int(2**31 - 1)))
