"""docker/: the compose cluster's safety properties, the offline image build, and the link to
the local-cluster test.

No docker engine and no Ray needed: the files are parsed, and entrypoint.sh's refusals run.
docker/smoke.sh builds and runs all of it for real (test_docker_smoke.py, marker `docker`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.local_cluster import (ENTRYPOINT, HEAD_SERVICE, REPO,
                                         WORKER_SERVICE, load_compose, node_command)

DOCKERFILE = REPO / "docker" / "Dockerfile"
RAY_SERVICES = (HEAD_SERVICE, WORKER_SERVICE)
SCRIPTS = [REPO / "docker" / name for name in
           ("entrypoint.sh", "base_image.sh", "wheelhouse.sh", "build.sh", "smoke.sh")]


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


def _published(port) -> tuple[str, str]:
    """(host ip, rest) of a compose `ports` entry, short or long syntax."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "")), str(port.get("published", ""))
    parts = str(port).split(":")
    # "8265" or "8265:8265" publish on every interface; "IP:HOST:CONTAINER" names the IP.
    return (parts[0], ":".join(parts[1:])) if len(parts) == 3 else ("", str(port))


def test_compose_file_parses_with_a_head_scalable_workers_and_results(compose):
    services = compose["services"]
    assert set(RAY_SERVICES) <= set(services)
    worker = services[WORKER_SERVICE]
    assert "container_name" not in worker, "a fixed container name stops --scale ray-worker=N"
    assert not any(":" in str(p) for p in worker.get("ports", [])), \
        "a worker publishing a fixed host port cannot be scaled"
    assert "results" in compose["volumes"]


def test_every_published_port_is_bound_to_loopback(compose):
    published = [(name, port) for name, service in compose["services"].items()
                 for port in service.get("ports", [])]
    assert published, "nothing published: the dashboard would be unreachable"
    for name, port in published:
        host_ip, _ = _published(port)
        assert host_ip == "127.0.0.1", f"{name} publishes {port!r} beyond 127.0.0.1"
    head_ports = {_published(p)[1] for p in compose["services"][HEAD_SERVICE]["ports"]}
    assert {"8265:8265", "6379:6379"} <= head_ports
    # The host ports are settings (docker/smoke.sh picks free ones); the address is not.
    moved = load_compose({"RAY_DASHBOARD_HOST_PORT": "18265", "RAY_GCS_HOST_PORT": "16379"})
    assert {_published(p) for p in moved["services"][HEAD_SERVICE]["ports"]} == \
        {("127.0.0.1", "18265:8265"), ("127.0.0.1", "16379:6379")}
    for service in load_compose(raw=True)["services"].values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), port


def test_nodes_run_the_built_image_with_a_cpu_limit_and_an_init(compose):
    # docker/build.sh builds the image (a context of just what the Dockerfile copies):
    # compose neither builds it (its context would be the whole repository with the classic
    # builder) nor needs to pull it.
    for name, service in compose["services"].items():
        assert "build" not in service, f"{name} builds: the image comes from docker/build.sh"
        assert service["image"] == "rllib-gnn:latest", name
    assert load_compose({"RLLIB_GNN_IMAGE": "rllib-gnn:smoke"})["services"][HEAD_SERVICE][
        "image"] == "rllib-gnn:smoke"
    for name in RAY_SERVICES:
        service = compose["services"][name]
        assert service["init"] is True, f"{name}: no init to reap the node's orphans"
        # Ray schedules on as many CPUs as docker grants the container.
        assert str(service["cpus"]) == service["environment"]["RAY_NUM_CPUS"] == "2", name
        limited = load_compose({"RAY_NODE_CPUS": "1"})["services"][name]
        assert str(limited["cpus"]) == limited["environment"]["RAY_NUM_CPUS"] == "1", name
    tensorboard = compose["services"]["tensorboard"]
    assert tensorboard["command"][0] == "tensorboard"   # entrypoint.sh execs it as is


def test_the_token_file_is_the_hosts_unless_set(compose):
    assert compose["secrets"]["ray_auth_token"]["file"] == "~/.ray/auth_token"
    assert load_compose({"RAY_AUTH_TOKEN_FILE": "/tmp/t"})["secrets"]["ray_auth_token"][
        "file"] == "/tmp/t"


def test_head_and_workers_run_the_entrypoint_like_the_local_cluster_test(compose):
    head_cmd = compose["services"][HEAD_SERVICE]["command"]
    worker_cmd = compose["services"][WORKER_SERVICE]["command"]
    gcs_port = compose["services"][HEAD_SERVICE]["environment"].get("RAY_GCS_PORT", "6379")
    assert head_cmd[0] == "head"
    assert worker_cmd[:2] == ["worker", f"{HEAD_SERVICE}:{gcs_port}"]
    # test_local_cluster.py starts its nodes with exactly these words (address swapped).
    assert node_command("head", compose=compose) == [str(ENTRYPOINT), *head_cmd]
    assert node_command("worker", "127.0.0.1:1234", compose=compose) == \
        [str(ENTRYPOINT), "worker", "127.0.0.1:1234", *worker_cmd[2:]]
    # ...and the image's entrypoint is that script.
    dockerfile = DOCKERFILE.read_text()
    assert "COPY docker/entrypoint.sh /usr/local/bin/entrypoint.sh" in dockerfile
    assert 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]' in dockerfile
    for name in RAY_SERVICES:
        assert "entrypoint" not in compose["services"][name], f"{name} overrides the entrypoint"


def test_results_volume_is_mounted_at_one_path_in_head_and_workers(compose):
    def results_mounts(service: str) -> set[str]:
        mounts = set()
        for volume in compose["services"][service]["volumes"]:
            source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) \
                else str(volume).split(":")[:2]
            if source == "results":
                mounts.add(target)
        return mounts

    head, worker = results_mounts(HEAD_SERVICE), results_mounts(WORKER_SERVICE)
    assert head and head == worker == {"/results"}, (head, worker)
    # docker/README.md tells users to train with that storage.
    assert "--set storage=/results" in (REPO / "docker" / "README.md").read_text()


def test_nodes_share_one_token_and_set_only_variables_the_entrypoint_reads(compose):
    entrypoint = ENTRYPOINT.read_text()
    assert "ray_auth_token" in compose["secrets"]
    for name in RAY_SERVICES:
        service = compose["services"][name]
        assert service["secrets"] == ["ray_auth_token"], name
        env = service["environment"]
        assert env["RAY_AUTH_TOKEN_PATH"] == "/run/secrets/ray_auth_token", name
        assert env.get("RAY_AUTH_MODE", "token") == "token", name
        assert "RAY_AUTH_TOKEN" not in env, f"{name}: a token in the compose file leaks it"
        for key in env:
            assert f"${{{key}" in entrypoint or key in ("RAY_AUTH_TOKEN_PATH",), \
                f"{name} sets {key}, which entrypoint.sh does not read"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_docker_scripts_are_executable_bash(script):
    assert os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/usr/bin/env bash")
    subprocess.run(["bash", "-n", str(script)], check=True)
    if shutil.which("shellcheck"):
        subprocess.run(["shellcheck", str(script)], check=True)


def _copy_sources(dockerfile: str) -> list[str]:
    """The build-context sources of the Dockerfile's COPY lines (not COPY --from)."""
    sources = []
    for line in dockerfile.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    return sources


def test_the_image_builds_offline_from_a_base_argument_and_the_wheelhouse():
    dockerfile = DOCKERFILE.read_text()
    # No `# syntax=` line: BuildKit would pull that frontend image from Docker Hub.
    assert not re.search(r"^#\s*syntax=", dockerfile, re.M)
    assert "ARG BASE_IMAGE=python:3.11-slim" in dockerfile.split("FROM", 1)[0]
    froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert froms and set(froms) == {"${BASE_IMAGE}"}, froms
    # Every pip install reads the wheelhouse only; nothing in the build fetches a URL.
    installs = re.findall(r"pip install[^\n]*(?:\\\n[^\n]*)*", dockerfile)
    assert installs and all("--no-index" in i and "--find-links /wheelhouse" in i
                            for i in installs), installs
    run_lines = "\n".join(re.findall(r"^RUN .*(?:\\\n.*)*", dockerfile, re.M))
    assert not re.search(r"https?://|curl |wget |apt-get", run_lines), run_lines
    # The wheelhouse only reaches the final image through the build stage's venv.
    final_stage = dockerfile.split("AS rllib-gnn", 1)[1]
    assert "wheelhouse" not in "\n".join(_copy_sources(final_stage))


def test_build_context_is_exactly_what_the_dockerfile_copies():
    sources = set(_copy_sources(DOCKERFILE.read_text()))
    assert {"docker/wheelhouse", "docker/entrypoint.sh", "rllib_gnn", "envs"} <= sources
    build_sh = (REPO / "docker" / "build.sh").read_text()
    staged = re.search(r"tar -C \"\$repo\"(.*?)\| tar", build_sh, re.S).group(1).split()
    staged = {w for w in staged if not w.startswith(("-", "\\"))} | {"docker/wheelhouse"}
    assert sources <= staged, f"build.sh does not send {sources - staged}"
    # BuildKit users building from the repository root get the same context.
    ignore = [line.strip() for line in
              (REPO / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*"
    for source in sources:
        assert f"!{source}" in ignore or f"!{source}/" in ignore, source


def test_the_wheelhouse_stays_out_of_git():
    assert "/docker/wheelhouse/" in (REPO / ".gitignore").read_text().split()
    if shutil.which("git") and (REPO / ".git").exists():
        out = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q",
                              "docker/wheelhouse/torch-2.13.0+cpu.whl"])
        assert out.returncode == 0, "git would track docker/wheelhouse/"


def _entrypoint(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    base = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    return subprocess.run([str(ENTRYPOINT), *args], env={**base, "PATH": path, **env},
                          capture_output=True, text=True, timeout=60)


def test_entrypoint_refuses_to_turn_token_authentication_off(tmp_path):
    out = _entrypoint("head", env={"RAY_AUTH_MODE": "disabled", "HOME": str(tmp_path)})
    assert out.returncode == 2 and "token authentication" in out.stderr
    assert not (tmp_path / ".ray").exists()


def test_a_worker_without_the_clusters_token_does_not_start(tmp_path):
    out = _entrypoint("worker", "127.0.0.1:9", env={
        "RAY_AUTH_TOKEN_PATH": str(tmp_path / "missing"), "RAY_TOKEN_WAIT_S": "0",
        "HOME": str(tmp_path)})
    assert out.returncode == 2 and "no auth token" in out.stderr, out.stderr


def test_entrypoint_usage_errors(tmp_path):
    assert _entrypoint(env={"HOME": str(tmp_path)}).returncode == 2
    out = _entrypoint("worker", env={"HOME": str(tmp_path)})
    assert out.returncode == 2 and "usage" in out.stderr
