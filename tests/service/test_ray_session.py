"""The shared test Ray instance listens on loopback only and keeps token authentication on."""

import contextlib
import ipaddress
import os
from pathlib import Path

import psutil
import ray


def _ray_listen_addresses() -> dict[str, set[str]]:
    """Listening TCP addresses of the test session's Ray processes (GCS, raylet, dashboard
    and its agents, workers): those whose command line names the session, and their children
    (workers retitle themselves ``ray::...``). Another Ray on the machine (a user's training
    run beside the suite) is not the suite's to judge."""
    session = Path(ray._private.worker._global_node.get_session_dir_path()).name
    named = [p for p in psutil.process_iter(["name", "cmdline"])
             if session in " ".join(p.info["cmdline"] or [])]
    ray_procs = {p.pid: p.name() for p in named}
    for parent in named:
        with contextlib.suppress(psutil.Error):
            ray_procs.update({c.pid: c.name() for c in parent.children(recursive=True)})
    out: dict[str, set[str]] = {}
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in ray_procs:
            out.setdefault(ray_procs[conn.pid], set()).add(conn.laddr.ip)
    return out


def test_ray_ports_bind_to_loopback_only(ray_session):
    addresses = _ray_listen_addresses()
    assert addresses, "found no listening Ray process; the check would prove nothing"
    for name, ips in addresses.items():
        for ip in ips:
            mapped = ipaddress.ip_address(ip.replace("::ffff:", ""))
            assert mapped.is_loopback, f"{name} listens on {ip}, not on loopback"


def test_token_authentication_stays_on(ray_session):
    assert os.environ.get("RAY_AUTH_MODE", "token") != "disabled"
    assert os.path.exists(os.path.expanduser("~/.ray/auth_token"))
