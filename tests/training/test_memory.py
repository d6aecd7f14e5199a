"""The memory policy: a large buffer freed and allocated again costs no new page faults."""

import subprocess
import sys

import pytest

from rllib_gnn.training.memory import MALLOC_ENV
from rllib_gnn.training.threads import PROCESS_ENV

# Page faults of allocating (and touching) a 64 MiB array again after freeing one.
_FAULTS = """
import resource, sys
import numpy as np
from rllib_gnn.training.memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
x = np.ones(2 ** 24, np.float32)
del x
before = faults()
y = np.ones(2 ** 24, np.float32)
print(faults() - before)
"""


def _refaults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_freed_large_buffer_is_reused_without_new_page_faults():
    default = _refaults("default")  # glibc maps it anew: 16,384 pages of 4 KiB, or 32 of
    assert default >= 32                # 2 MiB where the kernel uses transparent huge pages
    assert _refaults("keep") <= default // 10


def test_every_process_of_a_run_gets_the_malloc_settings():
    assert MALLOC_ENV.items() <= PROCESS_ENV.items()
