#!/usr/bin/env bash
# Overhead per command task: gridrun vs GNU parallel on the same trivial
# commands (a shell script that prints one JSON line), same number of jobs.
#   scripts/bench_commands.sh [TASKS] [JOBS]      default: 2000 tasks, 2 jobs
# Per-task overhead = wall x jobs / tasks - the command's own time (measured
# by running it in a plain loop). Installs GNU parallel (Debian) if missing.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tasks=${1:-2000}
jobs=${2:-2}
if ! command -v parallel >/dev/null; then
  echo "installing GNU parallel (Debian package parallel)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel; } >&2
fi
(cd "$repo" && cargo build --release --quiet)
gridrun="$repo/target/release/gridrun"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/task.sh" <<'SH'
#!/bin/sh
echo "{\"score\": $1}"
SH
chmod +x "$work/task.sh"
cat > "$work/bench.toml" <<TOML
[task]
command = ["./task.sh", "{i}"]
[grid]
i = { range = [0, $tasks] }
[scoring]
metrics = ["score"]
[run]
jobs = $jobs
TOML

seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

bare=$(seconds bash -c "cd '$work' && for i in \$(seq $tasks); do ./task.sh \$i; done")
par=$(seconds bash -c "cd '$work' && seq 0 $((tasks - 1)) | parallel -j $jobs ./task.sh {}")
grid=$(seconds "$gridrun" "$work/bench.toml" -q --fresh -o "$work/out")
failed=$(grep -c '"failed"' "$work/out/results.jsonl" || true)
[ "$failed" = 0 ] || { echo "gridrun: $failed tasks failed" >&2; exit 1; }

report() { # name wall
  awk -v n="$tasks" -v j="$jobs" -v bare="$bare" -v wall="$2" -v name="$1" 'BEGIN {
    per = wall / n * 1000; over = wall * j / n * 1000 - bare / n * 1000;
    printf "%-14s %8.2f s wall %8.3f ms/task %8.3f ms/task beyond the command (x%d jobs; <0: noise)\n", name, wall, per, over, j }'
}
echo "$tasks trivial commands, $jobs jobs; the command alone: $(awk -v b="$bare" -v n="$tasks" 'BEGIN{printf "%.3f", b/n*1000}') ms (serial loop)"
report "GNU parallel" "$par"
report "gridrun" "$grid"
awk -v p="$par" -v g="$grid" 'BEGIN {
  printf "gridrun ms/task / GNU parallel ms/task = %.3f (target <= 0.5)\n", g / p }'
