"""Test-session fixtures: one local Ray for the whole session, bound to loopback only."""

from __future__ import annotations

import os

# Ray resolves its node address before ray.init runs. With "clusters" disabled it takes the
# loopback address as the node IP, and every Ray server (GCS, raylet, workers) listens on
# 127.0.0.1 only. Token authentication stays on (Ray 2.60's default).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_DEDUP_LOGS", "0")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def ray_session():
    """A local Ray instance shared by every test that needs one (started on first use)."""
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small models and single observations on one torch intra-op thread, as the players run
    them: on a busy 2-core machine two threads spin against other processes (~100x
    slower). Use it with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
