"""The memory policy of a run's processes: large tensors reuse freed heap memory.

glibc hands an allocation of more than its mmap threshold (at most 32 MiB by default) to
the kernel when it is freed, so every forward pass on a large graph maps its big buffers
again and page-faults through them: at 100,000 nodes, 1 thread, a GraphSAGE 2 x 128 forward
pass took 1,139 ms with glibc's defaults and 480 ms with freed memory kept (GATv2 1,920 /
1,115 ms; 10,000 nodes: 70 / 44 and 171 / 110 ms), for about the same peak memory
(``benchmarks/module_latency.py``). :data:`MALLOC_ENV` keeps allocations below
:data:`HEAP_BYTES` in the heap and only returns freed memory above that much to the
kernel; a process started with it (Ray's workers: ``threads.PROCESS_ENV``) or calling
:func:`keep_freed_memory` (the CLI) behaves so. Other C libraries ignore both.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["HEAP_BYTES", "MALLOC_ENV", "keep_freed_memory"]

#: Allocations up to this size come from (and return to) the heap: 256 MiB holds one
#: (edges x heads x 128) float buffer of a 100,000-node graph.
HEAP_BYTES = 256 * 2 ** 20
#: glibc's settings for a process started with them (values a user sets win).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(HEAP_BYTES),
              "MALLOC_TRIM_THRESHOLD_": str(HEAP_BYTES)}
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def keep_freed_memory() -> bool:
    """Apply :data:`MALLOC_ENV` to this running process (``mallopt``); False where the C
    library is not glibc (nothing changes there)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return False
    if not hasattr(libc, "gnu_get_libc_version"):
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, HEAP_BYTES)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, HEAP_BYTES))
