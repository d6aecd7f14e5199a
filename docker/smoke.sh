#!/usr/bin/env bash
# End-to-end check of docker/: image, compose cluster, two Ray jobs, a lost worker, teardown.
#
#   docker/smoke.sh [--base IMAGE] [--keep] [--remove-image]
#
# Phases (each logged with its UTC start time and duration, and summed up at the end):
#   base        the base image: --base IMAGE; else python:3.11-slim when it is here or can be
#               pulled; else rllib-gnn-base:bookworm, made from Debian's archive by
#               docker/base_image.sh when it does not exist yet (no image registry needed)
#   wheelhouse  docker/wheelhouse.sh when docker/wheelhouse/ holds no torch wheel yet
#   build       docker/build.sh --base BASE --tag $SMOKE_IMAGE
#   up          compose: 1 head + 2 workers (1 CPU each), own project, token and free
#               loopback ports; waits until Ray counts 3 nodes; `ray status`
#   auth        the dashboard: 401 without the token, 403 with a wrong one, 200 with it;
#               published on 127.0.0.1 only
#   train       `ray job submit` from this host: tune_configs/quickstart.yaml for
#               $SMOKE_TRAIN_S s of training, storage=/results -> SUCCEEDED; checkpoints on
#               the results volume
#   evaluate    `rllib-gnn evaluate` of its last checkpoint, in the head container
#   lost-node   a job with 2 env runners (SPREAD over the nodes), `docker kill` of a worker
#               running one of them mid-job; Ray declares the node dead, the job runs on
#               (the env runner restarted on another node, or the trial retried from its
#               last checkpoint), the worker comes back (`compose up -d`) and rejoins; the
#               job ends SUCCEEDED; every result row and checkpoint complete; evaluated
#   teardown    compose down -v (containers, network, results volume); --remove-image also
#               removes $SMOKE_IMAGE; --keep leaves the cluster up (for a look) instead
#
# Needs: a docker daemon, Compose (v2 `docker compose` or v1 `docker-compose`), curl, and on
# PATH this project's venv (`ray` and `python3`: the host submits the jobs with the same Ray
# release as the image). The project needs no network once the wheelhouse and the base image
# exist. Settings (environment variable: default):
#   SMOKE_PROJECT    compose project name: rllib-gnn-smoke (its volume is deleted at the end)
#   SMOKE_IMAGE      image tag: rllib-gnn:smoke
#   SMOKE_NODE_CPUS  each node's CPU limit and Ray CPUs: 1
#   SMOKE_TRAIN_S    training seconds of the quickstart job: 60
#   SMOKE_LOST_S     training seconds of the lost-node job: 120
#   SMOKE_LOG_DIR    job logs and the cluster's state: a new /tmp/rllib-gnn-smoke.* (kept)
# Exit status 0 when every check passed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base=""
keep=0
remove_image=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base IMAGE}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --remove-image) remove_image=1; shift ;;
    -h|--help) sed -n '2,40p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "smoke.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

project="${SMOKE_PROJECT:-rllib-gnn-smoke}"
image="${SMOKE_IMAGE:-rllib-gnn:smoke}"
node_cpus="${SMOKE_NODE_CPUS:-1}"
train_s="${SMOKE_TRAIN_S:-60}"
lost_s="${SMOKE_LOST_S:-120}"
logdir="${SMOKE_LOG_DIR:-$(mktemp -d /tmp/rllib-gnn-smoke.XXXXXX)}"
mkdir -p "$logdir"
workdir="$(mktemp -d /tmp/rllib-gnn-smoke-work.XXXXXX)"   # token file, job working dir

# ---------------------------------------------------------------- logging and phases
t0=$(date +%s)
phase_name=""
phase_start=0
phases=()
indent() { sed "s/^/${1:-    }/"; }
log() { echo "[$(date -u +%H:%M:%S) +$(( $(date +%s) - t0 ))s] $*"; }
end_phase() {
  if [ -n "$phase_name" ]; then
    local took=$(( $(date +%s) - phase_start ))
    phases+=("$(printf '%-11s %-6s %5ss  (from %s)' "$phase_name" "$1" "$took" \
      "$(date -u -d "@$phase_start" +%H:%M:%S)")")
    log "== $phase_name: $1 in ${took}s"
  fi
  phase_name=""
}
phase() {
  end_phase ok
  phase_name="$1"
  phase_start=$(date +%s)
  log "== $phase_name"
}
fail() {
  log "FAILED: $*"
  exit 1
}

# ---------------------------------------------------------------- preflight
command -v docker >/dev/null || fail "no docker CLI"
docker info >/dev/null 2>&1 || fail "no docker daemon answers (start dockerd)"
if docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose_cmd=(docker-compose)
else
  fail "no Compose: neither 'docker compose' (v2) nor 'docker-compose' (v1)"
fi
for tool in curl python3 ray; do
  command -v "$tool" >/dev/null || fail "no $tool on PATH (activate the project's venv)"
done
# The host's Ray client talks to the cluster only: never to a RAY_ADDRESS of the caller.
unset RAY_ADDRESS RAY_AUTH_TOKEN RAY_API_SERVER_ADDRESS
export COMPOSE_PROJECT_NAME="$project" COMPOSE_FILE="$repo/docker/docker-compose.yml"
compose() { "${compose_cmd[@]}" "$@"; }

# The cluster's token (a fresh one, not the host's ~/.ray/auth_token) and free host ports.
token_file="$workdir/auth_token"
(umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32), end="")' >"$token_file")
read -r dash_port gcs_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
export RLLIB_GNN_IMAGE="$image" RAY_AUTH_TOKEN_FILE="$token_file" RAY_NODE_CPUS="$node_cpus" \
  RAY_DASHBOARD_HOST_PORT="$dash_port" RAY_GCS_HOST_PORT="$gcs_port"
# The host's `ray job submit`: token authentication with the cluster's token.
export RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH="$token_file"
dashboard="http://127.0.0.1:$dash_port"

cluster_up=0
on_exit() {
  local rc=$?
  trap - EXIT
  if [ $rc -ne 0 ]; then
    [ -n "$phase_name" ] && end_phase FAILED
    if [ "$cluster_up" = 1 ]; then
      compose ps >"$logdir/compose-ps.txt" 2>&1 || true
      compose logs --no-color --tail 200 >"$logdir/compose-logs.txt" 2>&1 || true
      log "cluster state and logs kept in $logdir (compose-ps.txt, compose-logs.txt)"
    fi
  else
    end_phase ok
  fi
  if [ "$cluster_up" = 1 ] && [ "$keep" = 1 ]; then
    log "--keep: cluster left up: COMPOSE_PROJECT_NAME=$project COMPOSE_FILE=$COMPOSE_FILE" \
      "RAY_AUTH_TOKEN_FILE=$token_file ${compose_cmd[*]} down -v  # when done"
  elif [ "$cluster_up" = 1 ] || [ $rc -ne 0 ]; then
    phase_name=teardown
    phase_start=$(date +%s)
    log "== teardown"
    compose down -v --remove-orphans 2>&1 | indent || true
    [ "$remove_image" = 1 ] && { docker rmi "$image" >/dev/null 2>&1 || true; log "removed $image"; }
    left="$(docker ps -aq --filter "label=com.docker.compose.project=$project")"
    left+="$(docker volume ls -q --filter "label=com.docker.compose.project=$project")"
    left+="$(docker network ls -q --filter "label=com.docker.compose.project=$project")"
    if [ -n "$left" ]; then
      log "left behind: $left"
      end_phase FAILED
      rc=1
    else
      log "no container, volume or network of project $project left"
      end_phase ok
    fi
  fi
  [ "$keep" = 1 ] || rm -rf "$workdir"
  echo
  echo "smoke.sh phases ($(date -u -d "@$t0" +%FT%TZ), total $(( $(date +%s) - t0 ))s):"
  printf '  %s\n' "${phases[@]}"
  if [ $rc -eq 0 ]; then echo "smoke.sh: PASSED (logs: $logdir)"; else echo "smoke.sh: FAILED (logs: $logdir)"; fi
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT   # Ctrl-C, `timeout`, pytest's end: the EXIT trap still tears down
trap 'exit 143' TERM

log "repo $repo; compose: ${compose_cmd[*]} ($(compose version --short 2>/dev/null || true));" \
  "project $project; image $image; logs $logdir"

# ---------------------------------------------------------------- helpers (cluster)
api() {  # api PATH [TOKEN]: the dashboard's body (token: the cluster's unless given)
  curl -sS --max-time 20 -H "Authorization: Bearer ${2:-$(cat "$token_file")}" "$dashboard$1"
}
http_code() {  # http_code PATH [HEADER...]
  local path="$1"; shift
  curl -s -o /dev/null --max-time 20 -w '%{http_code}' "$@" "$dashboard$path" || true
}
jq_py() {  # jq_py PYTHON_EXPR < json: evaluates EXPR with `d` = the parsed JSON
  python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}
alive_nodes() {
  api "/api/v0/nodes?limit=100" 2>/dev/null \
    | jq_py 'sum(n["state"] == "ALIVE" for n in d["data"]["result"]["result"])' 2>/dev/null \
    || echo 0
}
wait_nodes() {  # wait_nodes COUNT TIMEOUT_S
  local deadline=$(( $(date +%s) + $2 ))
  until [ "$(alive_nodes)" = "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "Ray does not count $1 alive nodes after $2 s"
    sleep 2
  done
}
ray_status() { compose exec -T ray-head ray status 2>&1 | sed -n '/^Node status/,/^Pending:/p'; }
wait_ray_status() {  # wait_ray_status COUNT TIMEOUT_S: `ray status` lists COUNT active nodes
  local deadline=$(( $(date +%s) + $2 )) out
  while :; do
    out="$(ray_status || true)"
    [ "$(grep -c -E '^ +[0-9]+ node_' <<<"$out")" = "$1" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || { indent <<<"$out"; fail "ray status lists no $1 nodes"; }
    sleep 3
  done
  indent <<<"$out"
}
job_field() { api "/api/jobs/$1" | jq_py "d.get('$2')"; }
wait_job() {  # wait_job ID TIMEOUT_S: waits for a terminal status, prints it
  local deadline=$(( $(date +%s) + $2 )) status
  while :; do
    status="$(job_field "$1" status 2>/dev/null || echo UNKNOWN)"
    case "$status" in SUCCEEDED|FAILED|STOPPED) echo "$status"; return ;; esac
    [ "$(date +%s)" -lt "$deadline" ] || { echo "TIMEOUT($status)"; return; }
    sleep 5
  done
}
job_logs() { ray job logs --address "$dashboard" "$1" 2>/dev/null; }
head_sh() { compose exec -T ray-head bash -c "$1"; }
container_ip() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" | awk '{print $1}'; }

# ---------------------------------------------------------------- base image
phase base
if [ -z "$base" ]; then
  if docker image inspect python:3.11-slim >/dev/null 2>&1 \
      || timeout 120 docker pull -q python:3.11-slim >/dev/null 2>&1; then
    base=python:3.11-slim
  else
    base=rllib-gnn-base:bookworm
    log "python:3.11-slim cannot be pulled (no registry): Debian base $base"
  fi
fi
if ! docker image inspect "$base" >/dev/null 2>&1; then
  case "$base" in
    rllib-gnn-base:*)
      log "making $base from Debian's archive (docker/base_image.sh)"
      DEBIAN_SUITE="${base#rllib-gnn-base:}" "$repo/docker/base_image.sh" "$base" ;;
    *) docker pull "$base" || fail "base image $base: not here and not pullable" ;;
  esac
fi
log "base image $base: $(docker run --rm --entrypoint python3 "$base" --version)"

# ---------------------------------------------------------------- wheelhouse
phase wheelhouse
if compgen -G "$repo/docker/wheelhouse/torch-*.whl" >/dev/null; then
  log "docker/wheelhouse/ present: $(find "$repo/docker/wheelhouse" -name '*.whl' | wc -l) wheels," \
    "$(du -sh "$repo/docker/wheelhouse" | cut -f1)"
else
  "$repo/docker/wheelhouse.sh"
fi

# ---------------------------------------------------------------- image
phase build
"$repo/docker/build.sh" --base "$base" --tag "$image" >"$logdir/build.log" 2>&1 \
  || { tail -40 "$logdir/build.log"; fail "docker/build.sh failed (log: $logdir/build.log)"; }
grep -E "^(Successfully|build.sh:)" "$logdir/build.log" | indent || true
image_ray="$(docker run --rm --entrypoint python "$image" -c 'import ray; print(ray.__version__)')"
host_ray="$(python3 -c 'import ray; print(ray.__version__)')"
log "image $image: $(( $(docker image inspect -f '{{.Size}}' "$image") / 1000000 )) MB," \
  "Ray $image_ray (host's Ray client $host_ray)"
[ "$image_ray" = "$host_ray" ] || fail "the host's Ray $host_ray differs from the image's $image_ray"

# ---------------------------------------------------------------- cluster up
phase up
compose down -v --remove-orphans >/dev/null 2>&1 || true   # a previous run's leftovers
cluster_up=1
compose up -d --scale ray-worker=2 2>&1 | indent
wait_nodes 3 240
log "Ray counts 3 alive nodes; ray status in the head:"
wait_ray_status 3 120

# ---------------------------------------------------------------- auth and loopback
phase auth
no_token="$(http_code /api/jobs/)"
bad_token="$(http_code /api/jobs/ -H "Authorization: Bearer $(printf '0%.0s' {1..64})")"
good_token="$(http_code /api/jobs/ -H "Authorization: Bearer $(cat "$token_file")")"
log "GET $dashboard/api/jobs/: no token -> $no_token, wrong token -> $bad_token, the token -> $good_token"
if [ "$no_token" != 401 ] || [ "$bad_token" != 403 ] || [ "$good_token" != 200 ]; then
  fail "the dashboard does not enforce the token"
fi
head_cid="$(compose ps -q ray-head)"
published="$(docker port "$head_cid")"
indent "    docker port: " <<<"$published"
echo "$published" | grep -v -E -- '-> 127\.0\.0\.1:[0-9]+$' | grep -q . \
  && fail "the head publishes a port beyond 127.0.0.1"
for ip in $(hostname -I 2>/dev/null); do   # this host's other addresses: nothing answers there
  case "$ip" in 127.*|*:*) continue ;; esac
  code="$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "http://$ip:$dash_port/" || true)"
  log "dashboard port $dash_port on $ip (not loopback): ${code/000/no answer}"
  [ "$code" = 000 ] || fail "the dashboard answers on $ip"
done

# ---------------------------------------------------------------- train (quickstart)
phase train
train_id="smoke-quickstart-$(date +%s)"
log "ray job submit --address $dashboard --working-dir $repo -- rllib-gnn train" \
  "tune_configs/quickstart.yaml (stop.time_total_s=$train_s, storage=/results)"
set +e
timeout 1200 ray job submit --address "$dashboard" --working-dir "$repo" \
  --submission-id "$train_id" -- \
  rllib-gnn train tune_configs/quickstart.yaml --set stop.time_total_s="$train_s" \
  --set storage=/results --set resources.num_cpus_for_main_process=1 \
  --set evaluation.episodes=20 >"$logdir/job-quickstart.log" 2>&1
submit_rc=$?
set -e
grep -E "iter +[0-9]+ |checkpoint /results|^ *(policy|exact|greedy|random) " \
  "$logdir/job-quickstart.log" | tail -8 | indent || true
status="$(job_field "$train_id" status)"
log "job $train_id: $status (ray job submit exit $submit_rc; log $logdir/job-quickstart.log)"
if [ "$status" != SUCCEEDED ] || [ $submit_rc != 0 ]; then fail "the quickstart job did not succeed"; fi
checkpoint="$(head_sh 'ls -d /results/quickstart/*/checkpoint_* | sort | tail -1')"
log "on the results volume: $(head_sh 'ls -d /results/quickstart/*/checkpoint_* | wc -l')" \
  "checkpoints, the last $checkpoint"

# ---------------------------------------------------------------- evaluate
phase evaluate
head_sh "rllib-gnn evaluate '$checkpoint' --episodes 10" >"$logdir/evaluate-quickstart.log" 2>&1 \
  || { tail -20 "$logdir/evaluate-quickstart.log"; fail "rllib-gnn evaluate failed"; }
tail -6 "$logdir/evaluate-quickstart.log" | indent
head_sh 'ls /results/quickstart/evaluations/*.json' | indent "    wrote "

# ---------------------------------------------------------------- lost node
phase lost-node
jobdir="$workdir/lost-node"
mkdir -p "$jobdir"
cat >"$jobdir/lost_node.yaml" <<EOF
# docker/smoke.sh: 2 env runners spread over the nodes; a worker is killed mid-run.
name: lost_node
algorithm: PPO
env: mvc
env_config: {graphs: {preset: blog_mvc, split: train}, max_nodes: 15}
model: {encoder: sage, head: node, hidden: 16, num_layers: 2, head_hidden: 16}
training: {train_batch_size_per_learner: 1000, minibatch_size: 500, num_epochs: 1}
env_runners: {num_env_runners: 2, num_envs_per_env_runner: 2, num_cpus_per_env_runner: 0.5}
resources: {num_cpus_for_main_process: 1, placement_strategy: SPREAD}
fault_tolerance: {restart_failed_env_runners: true, delay_between_env_runner_restarts_s: 1.0}
failure: {max_failures: 3}       # a trial whose own node dies is retried from its checkpoint
stop: {time_total_s: $lost_s}
evaluation: {episodes: 5, env_config: {graphs: {preset: blog_mvc, split: test}}}
periodic_evaluation: {every: 0}
checkpoint: {frequency: 5, at_end: true}
storage: /results
EOF
lost_id="smoke-lost-node-$(date +%s)"
ray job submit --address "$dashboard" --working-dir "$jobdir" --submission-id "$lost_id" \
  --no-wait -- rllib-gnn train lost_node.yaml >"$logdir/job-lost-node-submit.log" 2>&1 \
  || { cat "$logdir/job-lost-node-submit.log"; fail "ray job submit failed"; }
log "submitted $lost_id; waiting for its first checkpoint"
deadline=$(( $(date +%s) + 300 ))
while :; do
  logs="$(job_logs "$lost_id" || true)"
  grep -q "checkpoint /results/lost_node" <<<"$logs" && break
  status="$(job_field "$lost_id" status)"
  case "$status" in RUNNING|PENDING) ;; *) fail "job $lost_id is $status before its first checkpoint" ;; esac
  [ "$(date +%s)" -lt "$deadline" ] || fail "no checkpoint of $lost_id within 300 s"
  sleep 3
done
grep -E "iter +[0-9]+ " <<<"$logs" | tail -1 | indent || true
ray_job_id="$(job_field "$lost_id" job_id)"   # the Ray job id its actors carry

# Where the job's actors run: node id -> node IP -> worker container.
actors_json="$workdir/actors.json"
nodes_json="$workdir/nodes.json"
api "/api/v0/actors?detail=true&limit=10000" >"$actors_json"
api "/api/v0/nodes?limit=100" >"$nodes_json"
placement="$(python3 - "$actors_json" "$nodes_json" "$ray_job_id" <<'EOF'
import json, sys
actors = json.load(open(sys.argv[1]))["data"]["result"]["result"]
nodes = {n["node_id"]: n for n in json.load(open(sys.argv[2]))["data"]["result"]["result"]}
for a in actors:
    if a["job_id"] == sys.argv[3] and a["state"] == "ALIVE" and a["class_name"] in (
            "ExperimentTrainable", "GraphSingleAgentEnvRunner", "GraphMultiAgentEnvRunner"):
        role = "trial" if a["class_name"] == "ExperimentTrainable" else "runner"
        print(role, a["actor_id"][:12], a["node_id"][:12], nodes[a["node_id"]]["node_ip"])
EOF
)"
indent <<<"$placement"
declare -A worker_of_ip=()
for cid in $(compose ps -q ray-worker); do
  worker_of_ip[$(container_ip "$cid")]="$cid"
done
[ -n "$placement" ] || fail "found no actor of Ray job $ray_job_id"
trial_ip="$(echo "$placement" | awk '$1 == "trial" {print $4}')"
victim="" victim_ip=""
for ip in $(echo "$placement" | awk '$1 == "runner" {print $4}'); do   # a runner, not the trial
  if [ -n "${worker_of_ip[$ip]:-}" ] && [ "$ip" != "$trial_ip" ]; then victim_ip="$ip"; break; fi
done
if [ -z "$victim_ip" ] && [ -n "$trial_ip" ] && [ -n "${worker_of_ip[$trial_ip]:-}" ]; then
  victim_ip="$trial_ip"   # every worker runs the trial's own process: then that one
  log "no worker runs only an env runner: killing the trial's own node"
fi
[ -n "$victim_ip" ] || fail "none of the job's actors runs on a worker container"
victim="${worker_of_ip[$victim_ip]}"
victim_name="$(docker inspect -f '{{.Name}}' "$victim" | tr -d /)"
victim_node="$(echo "$placement" | awk -v ip="$victim_ip" '$4 == ip {print $3; exit}')"
victim_actors="$(echo "$placement" | awk -v ip="$victim_ip" '$4 == ip {print $1 ":" substr($2, 1, 8)}' | xargs)"
log "docker kill $victim_name ($victim_ip, Ray node ${victim_node:0:8}: $victim_actors)"
docker kill "$victim" >/dev/null
killed_at=$(date +%s)

deadline=$(( killed_at + 240 ))
until [ "$(api "/api/v0/nodes?limit=100" | jq_py \
    "[n['state'] for n in d['data']['result']['result'] if n['node_id'].startswith('$victim_node')][0]" \
    || true)" = DEAD ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "Ray did not declare node ${victim_node:0:8} dead in 240 s"
  sleep 2
done
status="$(job_field "$lost_id" status)"
log "Ray declared node ${victim_node:0:8} dead $(( $(date +%s) - killed_at )) s after the kill;" \
  "job: $status; alive nodes: $(alive_nodes)"
[ "$status" = RUNNING ] || fail "the job is $status after the loss of a worker"

# Recovery before the worker returns: the lost runner restarted on another node (same actor,
# num_restarts >= 1), or the trial running again (a new trial actor, from its checkpoint).
deadline=$(( $(date +%s) + 240 ))
recovered=""
while [ -z "$recovered" ]; do
  api "/api/v0/actors?detail=true&limit=10000" >"$actors_json"
  recovered="$(python3 - "$actors_json" "$ray_job_id" "$victim_node" <<'EOF'
import json, sys
actors = json.load(open(sys.argv[1]))["data"]["result"]["result"]
mine = [a for a in actors if a["job_id"] == sys.argv[2]]
for a in mine:
    if (a["class_name"].endswith("EnvRunner") and a["state"] == "ALIVE" and int(a["num_restarts"]) >= 1
            and not a["node_id"].startswith(sys.argv[3])):
        print(f"env runner {a['actor_id'][:8]} restarted (x{a['num_restarts']}) on node "
              f"{a['node_id'][:8]}")
        break
else:
    trials = [a for a in mine if a["class_name"] == "ExperimentTrainable"]
    if len(trials) > 1 and any(a["state"] == "ALIVE" and not a["node_id"].startswith(sys.argv[3]) for a in trials):
        print(f"trial retried: {len(trials)} trial actors, one alive on another node")
EOF
)"
  status="$(job_field "$lost_id" status)"
  [ -n "$recovered" ] && break
  [ "$status" = RUNNING ] || { recovered="(job $status before a restart was seen)"; break; }
  [ "$(date +%s)" -lt "$deadline" ] || fail "no env runner restart or trial retry within 240 s"
  sleep 3
done
log "recovered $(( $(date +%s) - killed_at )) s after the kill, without the lost worker: $recovered"
[ "$status" != FAILED ] || fail "the job failed"
compose up -d --scale ray-worker=2 2>&1 | indent
wait_nodes 3 240
log "$victim_name back: Ray counts 3 alive nodes again ($(( $(date +%s) - killed_at )) s after" \
  "the kill); ray status:"
wait_ray_status 3 120

status="$(wait_job "$lost_id" 900)"
job_logs "$lost_id" >"$logdir/job-lost-node.log" || true
grep -E "out of service|back into service|marked dead|Trial .* (errored|failed)" \
  "$logdir/job-lost-node.log" | cut -c1-200 | head -8 | indent || true
grep -E "iter +[0-9]+ " "$logdir/job-lost-node.log" | tail -1 | indent || true
log "job $lost_id: $status (log $logdir/job-lost-node.log)"
[ "$status" = SUCCEEDED ] || fail "the lost-node job did not succeed"

# Nothing lost or half-written: result rows 1..N without a gap, each a whole JSON line; every
# checkpoint with the same files as the others and readable metadata.
compose exec -T ray-head python - <<'EOF' 2>&1 | indent
import json, sys
from pathlib import Path
[trial] = Path("/results/lost_node").glob("ExperimentTrainable_*")
rows = [json.loads(line) for line in (trial / "result.json").read_text().splitlines()]
iters = sorted({r["training_iteration"] for r in rows})
assert iters == list(range(1, iters[-1] + 1)), f"result rows missing: {iters}"
print(f"{trial.name}: {len(rows)} result rows (iterations 1..{iters[-1]}, "
      f"{len(rows) - len(iters)} repeated after a restore), "
      f"time_total_s {rows[-1]['time_total_s']:.0f}")
checkpoints = sorted(trial.glob("checkpoint_*"))
layouts = {c.name: sorted(str(p.relative_to(c)) for p in c.rglob("*") if p.is_file())
           for c in checkpoints}
reference = layouts[checkpoints[-1].name]
for c in checkpoints:
    assert layouts[c.name] == reference, f"{c.name} differs from {checkpoints[-1].name}"
    json.loads((c / "experiment.json").read_text())
    json.loads((c / "rllib_checkpoint.json").read_text())
print(f"{len(checkpoints)} checkpoints, each complete ({len(reference)} files); "
      f"last {checkpoints[-1]}")
EOF
last="$(compose exec -T ray-head bash -c 'ls -d /results/lost_node/*/checkpoint_* | sort | tail -1')"
head_sh "rllib-gnn evaluate '$last' --episodes 5" >"$logdir/evaluate-lost-node.log" 2>&1 \
  || { tail -20 "$logdir/evaluate-lost-node.log"; fail "rllib-gnn evaluate of $last failed"; }
tail -6 "$logdir/evaluate-lost-node.log" | indent
