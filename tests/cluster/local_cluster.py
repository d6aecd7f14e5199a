"""A two-node Ray cluster on loopback, started like docker/docker-compose.yml starts one.

Each node is ``docker/entrypoint.sh`` run with the ``command`` of its compose service (the
worker's ``ray-head:<port>`` replaced by the loopback head address), plus test-only ``ray
start`` arguments: a private ``--temp-dir`` and free ports, so that it never meets the test
session's own Ray (tests/conftest.py) or a developer's.

Stopping: ``ray stop`` is not scoped (it ends every Ray process of the user, the session's
too). ``entrypoint.sh`` ``exec``s ``ray start --block``, so each node is one process that we
started and know by pid; SIGTERM to it is what ``docker stop`` / ``compose down`` sends, and
it ends that node's processes (GCS, raylet, dashboard, agents, workers, the job's driver).
Whatever survives it is reported, then killed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker" / "docker-compose.yml"
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
HEAD_SERVICE, WORKER_SERVICE = "ray-head", "ray-worker"

# What the test overrides in the compose services' environment: addresses, ports and the token
# file only (test_compose.py checks compose sets nothing else).
LOOPBACK = "127.0.0.1"


# Compose's variable syntax: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR.
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<sep>:?-)(?P<default>[^}]*))?\}"
                       r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` (a parsed compose file or part of it) with its variables substituted as
    Compose does it from the environment ``env``."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        sep = match.group("sep")
        if sep == ":-" and not env.get(name):
            return match.group("default")
        if sep == "-" and name not in env:
            return match.group("default")
        return env.get(name, "")

    return _VARIABLE.sub(substitute, value)


def load_compose(env: Mapping[str, str] | None = None, raw: bool = False) -> dict:
    """docker/docker-compose.yml as Compose reads it with the environment ``env`` (default:
    none of its settings, so every ``${VAR:-default}`` takes its default); ``raw``: as
    written, variables unsubstituted."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    return compose if raw else interpolate(compose, env or {})


def compose_command(service: str, compose: dict | None = None) -> list[str]:
    """The entrypoint arguments of a compose service (its ``command``)."""
    command = (compose or load_compose())["services"][service]["command"]
    return command.split() if isinstance(command, str) else [str(c) for c in command]


def node_command(role: str, head_address: str | None = None,
                 compose: dict | None = None) -> list[str]:
    """``entrypoint.sh`` + the compose service's arguments (worker: the head address swapped)."""
    if role == "head":
        return [str(ENTRYPOINT), *compose_command(HEAD_SERVICE, compose)]
    args = compose_command(WORKER_SERVICE, compose)
    assert args[0] == "worker" and ":" in args[1], args
    return [str(ENTRYPOINT), args[0], head_address, *args[2:]]


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class LocalCluster:
    """Head + one worker node (separate raylets) on 127.0.0.1 with token authentication."""

    def __init__(self, num_cpus_per_node: int = 1) -> None:
        # Short: Ray's unix sockets live under the temp dir (108-byte path limit).
        self.temp_dir = tempfile.mkdtemp(prefix="rgc-")
        self.token_file = Path(self.temp_dir) / "auth_token"
        # Ray's fixed default ports, each replaced by a free one: GCS, dashboard, client
        # server, the nodes' dashboard agents, the autoscaler's and dashboard's metrics.
        (self.gcs_port, self.dashboard_port, self.client_port, self.head_agent_port,
         self.worker_agent_port, autoscaler_metrics, dashboard_metrics) = free_ports(7)
        self.ports = {self.gcs_port, self.dashboard_port, self.client_port,
                      self.head_agent_port, self.worker_agent_port, autoscaler_metrics,
                      dashboard_metrics}
        self.head_address = f"{LOOPBACK}:{self.gcs_port}"
        self.dashboard_url = f"http://{LOOPBACK}:{self.dashboard_port}"
        bin_dir = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RAY_ADDRESS", "RAY_AUTH_TOKEN", "RAY_API_SERVER"))}
        env.update({
            "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
            # Loopback only (entrypoint.sh sets it too when RAY_NODE_IP is 127.0.0.1).
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",  # nothing to drain: stop at once
            "RAY_NODE_IP": LOOPBACK,
            "RAY_GCS_PORT": str(self.gcs_port),
            "RAY_DASHBOARD_HOST": LOOPBACK,
            "RAY_DASHBOARD_PORT": str(self.dashboard_port),
            "RAY_NUM_CPUS": str(num_cpus_per_node),
            "RAY_OBJECT_STORE_BYTES": str(200 * 1024 * 1024),
            "RAY_AUTH_TOKEN_PATH": str(self.token_file),  # the head creates it
            "RAY_TOKEN_WAIT_S": "60",
            "AUTOSCALER_METRIC_PORT": str(autoscaler_metrics),
            "DASHBOARD_METRIC_PORT": str(dashboard_metrics),
        })
        env.pop("RAY_AUTH_MODE", None)  # entrypoint.sh sets token mode itself
        self.env = env
        # What `ray job submit` / the dashboard client use: the cluster's token, token mode.
        self.client_env = {**env, "RAY_AUTH_MODE": "token"}
        self.nodes: list[subprocess.Popen] = []
        self._logs: list = []

    # ---------------------------------------------------------------- start
    def _start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(Path(self.temp_dir) / f"{name}.log", "wb")
        self._logs.append(log)
        proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.nodes.append(proc)
        return proc

    def start(self) -> None:
        # One temp dir per node, as on separate machines: nodes sharing one would share the
        # runtime-env cache, and one node's cleanup would delete a job's working dir that the
        # other still runs in.
        self._start("head", node_command("head") + [
            "--temp-dir", f"{self.temp_dir}/h",
            "--ray-client-server-port", str(self.client_port),
            "--dashboard-agent-listen-port", str(self.head_agent_port)])
        # The worker waits for the token file and the GCS port (entrypoint.sh) by itself.
        self._start("worker", node_command("worker", self.head_address) + [
            "--temp-dir", f"{self.temp_dir}/w",
            "--dashboard-agent-listen-port", str(self.worker_agent_port)])

    def log(self, name: str) -> str:
        path = Path(self.temp_dir) / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # ---------------------------------------------------------------- dashboard (HTTP)
    def token(self) -> str:
        return self.token_file.read_text().strip()

    def http(self, path: str, token: str | None = "cluster") -> tuple[int, str]:
        request = urllib.request.Request(self.dashboard_url + path)
        if token is not None:
            request.add_header("Authorization",
                               f"Bearer {self.token() if token == 'cluster' else token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def alive_nodes(self) -> int:
        status, body = self.http("/api/v0/nodes?limit=100&detail=false")
        if status != 200:
            return 0
        rows = json.loads(body)["data"]["result"]["result"]
        return sum(1 for row in rows if row.get("state") == "ALIVE")

    def wait_for_nodes(self, count: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for name, proc in zip(("head", "worker"), self.nodes):
                assert proc.poll() is None, f"{name} node exited:\n{self.log(name)}"
            try:
                if self.token_file.exists() and self.alive_nodes() >= count:
                    return
            except OSError:
                pass  # dashboard not up yet
            assert time.monotonic() < deadline, (
                f"no {count} nodes within {timeout} s\nhead:\n{self.log('head')}\n"
                f"worker:\n{self.log('worker')}")
            time.sleep(0.5)

    def ray_cli(self, *args: str, timeout: float = 300, env: dict | None = None):
        return subprocess.run([str(Path(sys.executable).parent / "ray"), *args],
                              env=env or self.client_env, capture_output=True, text=True,
                              timeout=timeout)

    # ---------------------------------------------------------------- processes
    def processes(self) -> list[psutil.Process]:
        """Every live process of this cluster: the nodes' process trees, and any process
        whose command line names its temp dir, GCS address or dashboard address."""
        found: dict[int, psutil.Process] = {}
        for node in self.nodes:
            try:
                root = psutil.Process(node.pid)
                for p in [root, *root.children(recursive=True)]:
                    found[p.pid] = p
            except psutil.NoSuchProcess:
                pass
        marks = [self.temp_dir, self.head_address, f"{LOOPBACK}:{self.dashboard_port}"]
        for p in psutil.process_iter(["cmdline"]):
            line = " ".join(p.info["cmdline"] or [])
            if any(mark in line for mark in marks):
                found.setdefault(p.pid, p)
        return [p for p in found.values() if p.pid != os.getpid() and _alive(p)]

    def stop(self, timeout: float = 60) -> list[str]:
        """SIGTERM each node (worker first); returns what was still alive after ``timeout``
        (then killed). Never touches a Ray process that is not this cluster's."""
        before = self.processes()
        for node in reversed(self.nodes):
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node in reversed(self.nodes):
            try:
                node.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        psutil.wait_procs(before, timeout=max(0.1, deadline - time.monotonic()))
        survivors = [p for p in {p.pid: p for p in before + self.processes()}.values()
                     if _alive(p)]
        described = [_describe(p) for p in survivors]
        for p in survivors:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(survivors, timeout=10)
        for node in self.nodes:
            if node.poll() is None:
                node.kill()
                node.wait()
        for log in self._logs:
            log.close()
        return described


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(p: psutil.Process) -> str:
    try:
        return f"{p.pid} {p.name()} {' '.join(p.cmdline())[:160]}"
    except psutil.Error:
        return f"{p.pid} (gone)"
