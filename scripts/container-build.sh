#!/usr/bin/env bash
# Builds the gridrun container image (see Dockerfile) and prints its size.
#   scripts/container-build.sh [--aws] [--tag NAME]
# --aws: the Debian-slim image with the AWS CLI (for `export-job --s3`; its
# build needs Debian's package mirror); default: FROM scratch, no network.
# The engine is docker when its daemon answers, else podman (ENGINE=... to
# choose). gridrun is built here first as a static x86_64 binary: glibc with
# crt-static, since this toolchain has no musl target installed
# (`rustup target list --installed`).
set -euo pipefail
cd "$(dirname "$0")/.."
target=minimal
tag=gridrun:latest
while [ $# -gt 0 ]; do
  case "$1" in
    --aws) target=aws; tag=gridrun:aws ;;
    --tag) tag=$2; shift ;;
    *) echo "usage: $0 [--aws] [--tag NAME]" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${ENGINE:-}" ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker
  elif command -v podman >/dev/null; then ENGINE=podman
  else echo "container-build.sh: no docker daemon and no podman (apt-get install podman)" >&2; exit 1
  fi
fi

RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --target x86_64-unknown-linux-gnu
bin=target/x86_64-unknown-linux-gnu/release/gridrun
if ! file "$bin" | grep -q "static"; then
  echo "container-build.sh: $bin is not statically linked" >&2; exit 1
fi
rootfs=target/container/rootfs
rm -rf "$rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
# The release profile keeps line tables for backtraces; the image does not need them.
objcopy --strip-debug "$bin" "$rootfs/usr/local/bin/gridrun"

"$ENGINE" build --target "$target" -t "$tag" -f Dockerfile .
size=$("$ENGINE" image inspect "$tag" --format '{{.Size}}')
echo "$tag: $size bytes ($((size / 1024 / 1024)) MiB), built with $ENGINE"
