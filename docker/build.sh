#!/usr/bin/env bash
# Build the rllib-gnn node image from the wheelhouse, without network access in the build:
#
#   docker/build.sh [--base IMAGE] [--tag TAG] [-- extra `docker build` arguments]
#
#   --base IMAGE  the base: any image with python3 + venv at the wheelhouse's Python (3.11).
#                 Default python:3.11-slim (from Docker Hub, or your registry mirror); where
#                 no image registry is reachable, make one from Debian's archive with
#                 docker/base_image.sh (rllib-gnn-base:bookworm) and pass it here.
#   --tag TAG     default rllib-gnn:latest (what docker-compose.yml runs; RLLIB_GNN_IMAGE
#                 there picks another)
#
# Fills docker/wheelhouse/ first (docker/wheelhouse.sh; needs your Python package index) when
# it holds no wheels yet. The build context is a temporary directory with exactly what
# docker/Dockerfile copies (wheelhouse hard-linked where possible), so the classic builder
# and BuildKit send the same few hundred MB and never the venv, .git or results.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="python:3.11-slim"
tag="rllib-gnn:latest"
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base IMAGE}"; shift 2 ;;
    --tag) tag="${2:?--tag TAG}"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
command -v docker >/dev/null || die "no docker CLI"

wheelhouse="$repo/docker/wheelhouse"
if ! compgen -G "$wheelhouse/torch-*.whl" >/dev/null; then
  echo "build.sh: docker/wheelhouse/ is empty: filling it (docker/wheelhouse.sh)" >&2
  "$repo/docker/wheelhouse.sh" "$wheelhouse"
fi

ctx="$(mktemp -d "${TMPDIR:-/tmp}/rllib-gnn-context.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
tar -C "$repo" --exclude=__pycache__ --exclude='*.pyc' -cf - constraints.txt pyproject.toml \
  README.md envs rllib_gnn tune_configs docker/Dockerfile docker/entrypoint.sh \
  | tar -C "$ctx" -xf -
cp -al "$wheelhouse" "$ctx/docker/wheelhouse" 2>/dev/null || cp -a "$wheelhouse" "$ctx/docker/wheelhouse"

echo "build.sh: docker build -t $tag --build-arg BASE_IMAGE=$base ($(du -shL "$ctx" | cut -f1) context)" >&2
start=$(date +%s)
docker build -f "$ctx/docker/Dockerfile" --build-arg "BASE_IMAGE=$base" -t "$tag" "$@" "$ctx"
size="$(docker image inspect -f '{{.Size}}' "$tag")"
echo "build.sh: built $tag on $base in $(( $(date +%s) - start )) s," \
  "$(( size / 1000000 )) MB" >&2
