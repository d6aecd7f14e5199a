#!/usr/bin/env bash
# Start one Ray node of an rllib-gnn cluster and stay in the foreground (`ray start --block`).
#
#   entrypoint.sh head   [extra `ray start` args]
#   entrypoint.sh worker HEAD_ADDRESS [extra `ray start` args]     (HEAD_ADDRESS = host:gcs_port)
#   entrypoint.sh COMMAND ...                                      (anything else is exec'd as is)
#
# docker/docker-compose.yml and tests/cluster (a two-node cluster on loopback) both run it.
# Settings (environment variable: default):
#   RAY_NODE_IP            this node's address: the IP the container's hostname resolves to.
#                          127.0.0.1 makes a one-host cluster (the tests') whose every port,
#                          workers' too, listens on loopback only
#   RAY_GCS_PORT           head only, the GCS port workers join: 6379
#   RAY_DASHBOARD_HOST     head only, dashboard + job API bind address: 127.0.0.1
#                          (compose sets 0.0.0.0 inside the container and publishes the port
#                          on the host's 127.0.0.1 only)
#   RAY_DASHBOARD_PORT     head only: 8265
#   RAY_NUM_CPUS           logical CPUs of this node: unset = Ray counts the container's CPUs
#   RAY_NUM_GPUS           GPUs of this node: unset = Ray detects them
#   RAY_OBJECT_STORE_BYTES object store size in bytes: unset = Ray's default (30% of memory,
#                          capped by /dev/shm: give containers `shm_size`)
#   RAY_HEAD_WAIT_S        worker only, seconds to wait for the head's GCS port: 120
# Token authentication is always on (RAY_AUTH_MODE=token; "disabled" is refused). Ray takes the
# token from, in this order: RAY_AUTH_TOKEN (the token itself), RAY_AUTH_TOKEN_PATH (a file),
# ~/.ray/auth_token. Every node, `ray job submit` and the job's driver must see the same token:
#   - the head creates the token file (RAY_AUTH_TOKEN_PATH, else ~/.ray/auth_token) when it
#     does not exist yet and RAY_AUTH_TOKEN is unset;
#   - a worker waits up to RAY_TOKEN_WAIT_S (60) seconds for that file (a shared volume) and
#     refuses to start without a token.
# Compose mounts the host's ~/.ray/auth_token as a secret and points RAY_AUTH_TOKEN_PATH at it,
# so the host's `ray job submit` already holds the cluster's token.
set -euo pipefail

die() { echo "entrypoint.sh: $*" >&2; exit 2; }

PYTHON="$(command -v python3 || command -v python || true)"
[ -n "$PYTHON" ] || die "no python3 on PATH"
command -v ray >/dev/null || die "no 'ray' on PATH (pip install 'ray[default]')"

role="${1:-}"
case "$role" in
  head) shift ;;
  worker)
    shift
    [ $# -ge 1 ] || die "usage: entrypoint.sh worker HEAD_ADDRESS [ray start args]"
    head_address="$1"
    shift
    ;;
  "") die "usage: entrypoint.sh head|worker HEAD_ADDRESS [ray start args]" ;;
  *) exec "$@" ;;
esac

# ------------------------------------------------------------------ token authentication
if [ "${RAY_AUTH_MODE:-token}" != "token" ]; then
  die "RAY_AUTH_MODE=${RAY_AUTH_MODE} refused: this cluster always runs with token authentication"
fi
export RAY_AUTH_MODE=token

if [ -z "${RAY_AUTH_TOKEN:-}" ]; then
  unset RAY_AUTH_TOKEN
  token_file="${RAY_AUTH_TOKEN_PATH:-$HOME/.ray/auth_token}"
  if [ "$role" = head ] && [ ! -s "$token_file" ]; then
    mkdir -p "$(dirname "$token_file")"
    (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_hex(32), end="")' \
      > "$token_file.tmp.$$" && mv "$token_file.tmp.$$" "$token_file")
    echo "entrypoint.sh: created the cluster's auth token in $token_file" >&2
  fi
  waited=0
  while [ ! -s "$token_file" ]; do
    [ "$waited" -lt "${RAY_TOKEN_WAIT_S:-60}" ] || die "no auth token in $token_file" \
      "(set RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH, or run 'ray get-auth-token --generate')"
    sleep 1
    waited=$((waited + 1))
  done
  export RAY_AUTH_TOKEN_PATH="$token_file"
fi

# ------------------------------------------------------------------ node settings
node_ip="${RAY_NODE_IP:-$("$PYTHON" -c 'import socket; print(socket.gethostbyname(socket.gethostname()))')}"
args=(--block --node-ip-address "$node_ip" --disable-usage-stats)
ray_start=(ray start)
case "$node_ip" in
  127.*|localhost)
    # A one-host cluster (the tests'): Ray binds every port to loopback only while "clusters"
    # are off (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0); otherwise it swaps 127.0.0.1 for the
    # host's outward address and listens on all interfaces. With clusters off, `ray start
    # --address` refuses to start a worker node, so a worker runs `ray start` with that one
    # check lifted and its addresses (all loopback) taken as given. The node's processes
    # inherit clusters off.
    node_ip=127.0.0.1
    args[2]=127.0.0.1
    export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
    if [ "$role" = worker ]; then
      ray_start=("$PYTHON" -c '
import sys
from ray._private import ray_constants, services
from ray.scripts.scripts import main
ray_constants.ENABLE_RAY_CLUSTER = True           # lift only the worker-node check ...
services.resolve_ip_for_localhost = lambda host: host  # ... and keep loopback addresses
sys.argv[0] = "ray"
sys.exit(main())' start)
    fi
    ;;
esac
[ -n "${RAY_NUM_CPUS:-}" ] && args+=(--num-cpus "$RAY_NUM_CPUS")
[ -n "${RAY_NUM_GPUS:-}" ] && args+=(--num-gpus "$RAY_NUM_GPUS")
[ -n "${RAY_OBJECT_STORE_BYTES:-}" ] && args+=(--object-store-memory "$RAY_OBJECT_STORE_BYTES")

if [ "$role" = head ]; then
  args=(--head --port "${RAY_GCS_PORT:-6379}"
        --dashboard-host "${RAY_DASHBOARD_HOST:-127.0.0.1}"
        --dashboard-port "${RAY_DASHBOARD_PORT:-8265}" "${args[@]}")
else
  # Compose starts workers with the head; wait until its GCS port answers.
  "$PYTHON" - "$head_address" "${RAY_HEAD_WAIT_S:-120}" <<'EOF' || die "head $head_address unreachable"
import socket, sys, time
host, _, port = sys.argv[1].rpartition(":")
deadline = time.monotonic() + float(sys.argv[2])
while True:
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(1)
EOF
  args=(--address "$head_address" "${args[@]}")
fi

echo "entrypoint.sh: ray start ${args[*]} $*" >&2
# exec: `ray start --block` becomes this process, so SIGTERM (docker stop, compose down, the
# tests' teardown) reaches it and it stops its node's processes (and only those).
exec "${ray_start[@]}" "${args[@]}" "$@"
