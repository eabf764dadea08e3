"""The allocator setting that keeps large CPU tensors from being mapped afresh at every step."""

import ctypes
import sys

import pytest

from pinnsolve.host_memory import keep_freed_memory


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_large_blocks_come_from_the_heap_once_set():
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc before 2.33 has no mallinfo2")
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True  # made once per process
    mapped = libc.mallinfo2().hblkhd
    block = libc.malloc(256 * 2**20)  # glibc's default would map it (anything over 32 MiB)
    try:
        assert libc.mallinfo2().hblkhd == mapped
    finally:
        libc.free(block)
