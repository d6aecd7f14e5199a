#!/usr/bin/env bash
# Fill docker/wheelhouse/ with every wheel the image installs, so that `docker build` needs no
# network at all: the image runs `pip install --no-index --find-links /wheelhouse`.
#
#   docker/wheelhouse.sh [DIR]          # default DIR: docker/wheelhouse (ignored by git)
#
# Run it on the host, in the project's venv or with any pip >= 23. It downloads, for the
# image's Python and platform (not the host's), with --only-binary=:all::
#   1. torch, CPU-only, at the release constraints.txt pins: from TORCH_WHEEL (a file), else
#      from a directory of PIP_FIND_LINKS that holds that CPU wheel, else from PyTorch's CPU
#      index (TORCH_INDEX_URL);
#   2. the project's dependencies (pyproject.toml), tensorboard (the compose profile) and
#      setuptools (the project's build backend), under constraints.txt, from your usual
#      index (PyPI or your pip configuration's mirror), torch pinned to the wheel of step 1.
# Running it again only fetches what is missing. Delete DIR to start afresh (e.g. after a
# change of constraints.txt, pyproject.toml's dependencies or PYTHON_VERSION).
#
# Settings (environment variable: default):
#   PYTHON           the Python that runs pip and reads pyproject.toml: python3 (>= 3.11)
#   PYTHON_VERSION   the image's Python, major.minor: 3.11 (python:3.11-slim, Debian bookworm)
#   ARCH             the image's machine: this host's (`uname -m`: x86_64 or aarch64)
#   GLIBC_MAX        newest manylinux glibc the image's C library accepts: 2.36 (bookworm)
#   TORCH_WHEEL      a torch wheel file to use as is
#   TORCH_INDEX_URL  https://download.pytorch.org/whl/cpu (CUDA: .../whl/cu128 and a GPU base)
set -euo pipefail

die() { echo "wheelhouse.sh: $*" >&2; exit 2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wheelhouse="$(mkdir -p "${1:-$repo/docker/wheelhouse}" && cd "${1:-$repo/docker/wheelhouse}" && pwd)"
python="${PYTHON:-python3}"
py_version="${PYTHON_VERSION:-3.11}"
arch="${ARCH:-$(uname -m)}"
glibc_max="${GLIBC_MAX:-2.36}"
torch_index="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
case "$arch" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) die "ARCH=$arch: x86_64 or aarch64" ;;
esac
[[ "$py_version" =~ ^3\.[0-9]+$ ]] || die "PYTHON_VERSION=$py_version: major.minor, e.g. 3.11"
py_tag="cp${py_version/./}"

torch_version="$(sed -n 's/^torch==\([^ ;#]*\).*/\1/p' "$repo/constraints.txt")"
[ -n "$torch_version" ] || die "constraints.txt pins no torch==VERSION"

# The image's tags: CPython $py_version, manylinux wheels for glibc <= $glibc_max.
platform_args=()
minor=17
while [ "$minor" -le "${glibc_max#2.}" ]; do
  platform_args+=(--platform "manylinux_2_${minor}_${arch}")
  minor=$((minor + 1))
done
platform_args+=(--platform "manylinux2014_${arch}")
[ "$arch" = x86_64 ] && platform_args+=(--platform manylinux2010_x86_64 --platform manylinux1_x86_64)
target_args=(--only-binary=:all: --python-version "$py_version" --implementation cp
             --abi "$py_tag" "${platform_args[@]}")

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- 1. torch (CPU)
torch_glob="torch-${torch_version}*-${py_tag}-${py_tag}-*${arch}.whl"
have_torch() { compgen -G "$wheelhouse/$torch_glob" >/dev/null; }
if ! have_torch; then
  if [ -z "${TORCH_WHEEL:-}" ]; then
    for dir in ${PIP_FIND_LINKS:-}; do   # a local CPU wheel offered to pip (e.g. /opt/wheels)
      dir="${dir#file://}"
      for f in "$dir"/torch-"${torch_version}"+cpu-"$py_tag"-"$py_tag"-*"$arch".whl; do
        [ -f "$f" ] && TORCH_WHEEL="$f" && break 2
      done
    done
  fi
  if [ -n "${TORCH_WHEEL:-}" ]; then
    [ -f "$TORCH_WHEEL" ] || die "TORCH_WHEEL=$TORCH_WHEEL: no such file"
    echo "wheelhouse.sh: torch from $TORCH_WHEEL" >&2
    cp "$TORCH_WHEEL" "$wheelhouse/"
  else
    echo "wheelhouse.sh: torch==$torch_version from $torch_index" >&2
    "$python" -m pip download --no-deps --dest "$wheelhouse" "${target_args[@]}" \
      --index-url "$torch_index" "torch==$torch_version" \
      || die "no torch==$torch_version from $torch_index (set TORCH_WHEEL to a wheel file)"
  fi
fi
have_torch || die "no $torch_glob in $wheelhouse"
torch_wheel="$(compgen -G "$wheelhouse/$torch_glob" | sort | tail -1)"
torch_pin="$(basename "$torch_wheel" | cut -d- -f2)"   # e.g. 2.13.0+cpu
echo "torch==$torch_pin" >"$tmp/torch.txt"

# ---------------------------------------------------------------- 2. everything else
"$python" - "$repo/pyproject.toml" >"$tmp/requirements.txt" <<'EOF'
import sys
try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)
for line in project["project"]["dependencies"]:
    print(line)
for line in project["build-system"]["requires"]:   # pip builds the project in the image
    print(line)
print("tensorboard")                                # docker-compose.yml's tensorboard profile
EOF
echo "wheelhouse.sh: dependencies for CPython $py_version, manylinux (glibc <= $glibc_max)" \
  "$arch, into $wheelhouse" >&2
"$python" -m pip download --dest "$wheelhouse" "${target_args[@]}" --find-links "$wheelhouse" \
  -c "$repo/constraints.txt" -c "$tmp/torch.txt" -r "$tmp/requirements.txt" >"$tmp/pip.log" 2>&1 \
  || { tail -40 "$tmp/pip.log" >&2; die "pip download failed (no wheel for CPython $py_version $arch?)"; }
# What the image does: resolve everything from the wheelhouse alone.
"$python" -m pip download --quiet --no-index --find-links "$wheelhouse" --dest "$wheelhouse" \
  "${target_args[@]}" -c "$repo/constraints.txt" -c "$tmp/torch.txt" -r "$tmp/requirements.txt" \
  >"$tmp/check.log" 2>&1 || { tail -20 "$tmp/check.log" >&2; die "the wheelhouse is incomplete"; }
echo "wheelhouse.sh: $(find "$wheelhouse" -name '*.whl' | wc -l) wheels," \
  "$(du -sh "$wheelhouse" | cut -f1) in $wheelhouse (torch $torch_pin)" >&2
