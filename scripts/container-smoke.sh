#!/usr/bin/env bash
# Builds the image (scripts/container-build.sh) and runs a job in it: two
# shards of configs/tree.toml and the merge, output on a folder shared by
# the "containers" like an EFS mount, no network. With a container engine
# that can run containers here, in real containers; where the engine cannot
# start one (some sandboxes refuse its setrlimit calls), the image's own
# filesystem is exported and each step runs chrooted into it, with only
# /proc mounted and no network: the same binary, data and paths.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/container-build.sh
ENGINE=${ENGINE:-$(docker info >/dev/null 2>&1 && echo docker || echo podman)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shared"

in_engine() {
  "$ENGINE" run --rm --network none -v "$work/shared:/mnt/efs" "$@"
}

if err=$(in_engine gridrun:latest /usr/local/bin/gridrun --version 2>&1); then
  run() { in_engine -e "JOB_COMPLETION_INDEX=$1" gridrun:latest "${@:2}"; }
  echo "container-smoke: running in $ENGINE containers"
else
  echo "container-smoke: $ENGINE cannot run a container here: $err"
  echo "container-smoke: running the image's filesystem chrooted instead"
  rootfs="$work/rootfs"
  mkdir -p "$rootfs"
  cid=$("$ENGINE" create gridrun:latest)
  "$ENGINE" export "$cid" | tar -x -C "$rootfs"
  "$ENGINE" rm "$cid" >/dev/null
  mkdir -p "$rootfs/proc" "$rootfs/mnt/efs"
  run() {
    unshare --mount --pid --fork --net env -i "JOB_COMPLETION_INDEX=$1" sh -c \
      'mount --bind "$0" "$1/mnt/efs" && mount -t proc proc "$1/proc" && exec chroot "$@"' \
      "$work/shared" "$rootfs" "${@:2}"
  }
fi

for i in 0 1; do
  run "$i" /usr/local/bin/gridrun run /job/configs/tree.toml --shards 2 -o /mnt/efs/tree --jobs 2 -q
done
run 0 /usr/local/bin/gridrun merge /mnt/efs/tree
ls "$work/shared/tree"
head -c 300 "$work/shared/tree/best.json"; echo
