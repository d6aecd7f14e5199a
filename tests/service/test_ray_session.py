"""The shared test Ray instance listens on loopback only and keeps token authentication on."""

import ipaddress
import os

import psutil


def _ray_listen_addresses() -> dict[str, set[str]]:
    """Listening TCP addresses of every Ray process (GCS, raylet, workers) on this machine."""
    ray_procs = {p.pid: p.name() for p in psutil.process_iter(["name", "cmdline"])
                 if any("ray" in part for part in (p.info["cmdline"] or [])[:3])
                 or "raylet" in p.name() or "gcs_server" in p.name()}
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
