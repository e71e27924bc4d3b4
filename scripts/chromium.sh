#!/usr/bin/env bash
# Headless Chromium for the report.html rendering tests (Debian's package).
#
#   scripts/chromium.sh install   install the `chromium` package once; no-op when present
#   scripts/chromium.sh path      print the browser's path (exit 1 if not installed)
#
# Needs root for the install (apt-get). The tests find the browser through
# GRIDRUN_CHROMIUM or on PATH, and are skipped with a note when neither has it
# and CI is not set (CI=true makes a missing browser an error).
set -euo pipefail

log() { printf 'chromium: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_browser() {
    local c
    for c in chromium chromium-browser; do
        if command -v "$c" >/dev/null; then command -v "$c"; return 0; fi
    done
    return 1
}

install() {
    find_browser >/dev/null && return 0
    [[ $(id -u) == 0 ]] || die "installing chromium needs root"
    local log_file=/tmp/chromium-apt.log
    export DEBIAN_FRONTEND=noninteractive
    log "installing Debian's chromium (and fonts for readable screenshots)"
    # Another apt-get (e.g. scripts/slurm-local.sh) may hold the lock: wait for it.
    local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends
        chromium fonts-dejavu-core)
    if ! "${apt[@]}" >"$log_file" 2>&1; then
        log "package not found? running apt-get update first"
        apt-get -o DPkg::Lock::Timeout=600 update -q >>"$log_file" 2>&1 ||
            die "apt-get update failed, see $log_file"
        "${apt[@]}" >>"$log_file" 2>&1 || die "apt-get install failed, see $log_file"
    fi
    find_browser >/dev/null || die "chromium installed but not on PATH"
}

case "${1:-install}" in
    install) install; log "$(find_browser)" ;;
    path) find_browser ;;
    *) die "usage: $0 install|path" ;;
esac
