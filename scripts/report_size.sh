#!/usr/bin/env bash
# Size and generation time of report.html (and timeline.svg) for an output
# folder: `gridrun report` rebuilds the page from the journals, so its time
# is the whole cost (reading every task record, aggregating, drawing).
#
#   scripts/report_size.sh OUTPUT [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/report_size.sh OUTPUT [REPEATS]}
repeats=${2:-3}
cargo build --release -q
bin=target/release/gridrun
tasks=$(cat "$out"/results*.jsonl | wc -l)
best=
for _ in $(seq "$repeats"); do
    start=$(date +%s.%N)
    "$bin" report "$out" --to "$out/report.measure.html" >/dev/null
    t=$(echo "$(date +%s.%N) - $start" | bc)
    if [[ -z $best ]] || (( $(echo "$t < $best" | bc) )); then best=$t; fi
done
printf '%-28s %s\n' "tasks in the journals" "$tasks"
printf '%-28s %s\n' "gridrun report (best of $repeats)" "${best} s"
printf '%-28s %s bytes\n' "report.html" "$(stat -c %s "$out/report.measure.html")"
[[ -f $out/timeline.svg ]] && printf '%-28s %s bytes\n' "timeline.svg" "$(stat -c %s "$out/timeline.svg")"
rm -f "$out/report.measure.html"
