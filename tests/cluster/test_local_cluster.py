"""`ray job submit` of an experiment YAML to a two-node cluster started by docker/entrypoint.sh.

The nodes are separate `ray start --block` raylets on 127.0.0.1 with their own temp dir and
ports, token authentication on, and the commands of docker/docker-compose.yml (see
tests/cluster/local_cluster.py). The test session's own Ray is never touched.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import tempfile
from pathlib import Path

import psutil
import pytest
import yaml

from tests.cluster.local_cluster import LocalCluster
from tests.tiny import TINY_MVC

# ray[default] (dashboard + job API) comes with the test extra: a missing install fails here.

EXPERIMENT = {**TINY_MVC, "name": "cluster", "evaluation": {"episodes": 0}}


@pytest.fixture
def cluster():
    c = LocalCluster(num_cpus_per_node=1)
    try:
        c.start()
        yield c
    finally:
        c.stop()  # idempotent; the test itself stops and checks first
        shutil.rmtree(c.temp_dir, ignore_errors=True)


def _listening(procs: list[psutil.Process]) -> set[tuple[str, str, int]]:
    pids = {p.pid: p for p in procs}
    out = set()
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            out.add((pids[conn.pid].name(), conn.laddr.ip, conn.laddr.port))
    return out


def test_job_submit_trains_on_a_two_node_loopback_cluster(ray_session, cluster, tmp_path):
    # ray_session: the test session's own Ray runs beside this cluster and must outlive it.
    cluster.wait_for_nodes(2)

    # Token authentication is on, with the head's token: none or a wrong one is refused.
    assert cluster.http("/api/jobs/", token=None)[0] == 401
    assert cluster.http("/api/jobs/", token="0" * 64)[0] == 403
    assert cluster.http("/api/jobs/")[0] == 200

    # Every port of this cluster (GCS, raylets, dashboard, agents, workers) is on loopback.
    listening = _listening(cluster.processes())
    assert (cluster.dashboard_port in {port for _, _, port in listening}
            and cluster.gcs_port in {port for _, _, port in listening}), listening
    for name, ip, port in listening:
        assert ipaddress.ip_address(ip.replace("::ffff:", "")).is_loopback, \
            f"{name} listens on {ip}:{port}, not on loopback"

    storage = tmp_path / "results"
    job_dir = Path(tempfile.mkdtemp(prefix="rgc-job-"))  # the job's working dir: just the YAML
    try:
        (job_dir / "exp.yaml").write_text(yaml.safe_dump({**EXPERIMENT,
                                                          "storage": str(storage)}))
        submit = cluster.ray_cli(
            "job", "submit", "--address", cluster.dashboard_url, "--working-dir",
            str(job_dir), "--submission-id", "rllib-gnn-cluster-test", "--",
            "rllib-gnn", "train", "exp.yaml", timeout=240)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    output = submit.stdout[-6000:] + submit.stderr[-3000:]
    status, body = cluster.http("/api/jobs/rllib-gnn-cluster-test")
    assert status == 200, body
    assert json.loads(body)["status"] == "SUCCEEDED", output
    assert submit.returncode == 0, output
    assert "iter    1" in output, output
    [checkpoint] = list((storage / "cluster").glob("*/checkpoint_*"))
    assert (checkpoint / "experiment.json").exists()
    assert list(checkpoint.parent.glob("events.out.tfevents.*")), "nothing for TensorBoard"

    assert cluster.processes(), "found none of the cluster's processes; the check is void"
    survivors = cluster.stop()
    assert survivors == [], f"left running after SIGTERM to the nodes: {survivors}"
    assert cluster.processes() == []
    assert all(node["Alive"] for node in ray_session.nodes()), "the session's Ray was stopped"
    assert ray_session.cluster_resources().get("CPU", 0) > 0
