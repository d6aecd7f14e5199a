#!/usr/bin/env bash
# Make a Python base image from Debian's archive alone, for hosts that reach no image registry
# (Docker Hub included) but do reach a Debian mirror (or a local copy of one):
#
#   sudo docker/base_image.sh [TAG]              # default TAG: rllib-gnn-base:bookworm
#   docker/build.sh --base rllib-gnn-base:bookworm
#
# debootstrap installs a minimal Debian (variant minbase) with python3 and python3-venv into a
# temporary directory, and `docker import` turns that root filesystem into an image. Debian 12
# (bookworm) ships Python 3.11, the version docker/wheelhouse.sh fetches wheels for and the
# default base (python:3.11-slim) has; the project needs Python >= 3.10. Another suite works
# when its python3 matches the wheelhouse (trixie: 3.13 -> PYTHON_VERSION=3.13 wheelhouse.sh).
#
# Settings (environment variable: default):
#   DEBIAN_SUITE    bookworm
#   DEBIAN_MIRROR   http://deb.debian.org/debian
#   BASE_WORKDIR    a new directory under ${TMPDIR:-/tmp} (removed afterwards)
# Needs root (debootstrap chroots and creates device nodes), debootstrap
# (`apt-get install debootstrap`) and a docker daemon.
set -euo pipefail

die() { echo "base_image.sh: $*" >&2; exit 2; }

tag="${1:-rllib-gnn-base:${DEBIAN_SUITE:-bookworm}}"
suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

[ "$(id -u)" = 0 ] || die "run as root (debootstrap needs it)"
command -v debootstrap >/dev/null || die "no debootstrap (apt-get install debootstrap)"
command -v docker >/dev/null || die "no docker CLI"
docker info >/dev/null 2>&1 || die "no docker daemon answers"

work="${BASE_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/rllib-gnn-base.XXXXXX")}"
rootfs="$work/rootfs"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# procps: ps/top for looking into a node; bash for entrypoint.sh (minbase has it already).
echo "base_image.sh: debootstrap $suite from $mirror into $rootfs" >&2
debootstrap --variant=minbase --include=python3,python3-venv,procps,ca-certificates \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

# Smaller and reproducible-ish: no package lists, caches, docs or logs in the image.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/tmp/* "$rootfs"/root/.cache
# The container's resolver and hostname come from docker at run time.
: >"$rootfs/etc/resolv.conf"
: >"$rootfs/etc/hostname"

python_version="$(chroot "$rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "base_image.sh: python3 is $python_version" >&2

tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --message "debootstrap --variant=minbase $suite + python3 $python_version (docker/base_image.sh)" \
  - "$tag" >/dev/null
docker run --rm --entrypoint python3 "$tag" -c 'import venv, sys; print(sys.version)' >&2
echo "$tag"
