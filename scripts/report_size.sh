#!/usr/bin/env bash
# Size and generation time of report.html (and timeline.svg) for an output
# folder, and the same charts drawn with plotters' SVG backend beside the
# hand-written ones (examples/svg_compare.rs). `gridrun report` rebuilds the
# page from the journals, so its time is the whole cost (reading every task
# record, aggregating, drawing): wall time and CPU time (user + sys; the wall
# time on a shared machine includes waiting for a core, see the load line).
#
#   scripts/report_size.sh OUTPUT [REPEATS]   measure one output folder
#   scripts/report_size.sh                    run configs/rf.toml and a
#       10,000-setting decision_tree grid on wine (30,000 tasks) into a
#       temporary folder first, then measure both
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
cargo build --release -q --example svg_compare
bin=target/release/gridrun

measure() {
    local out=$1 repeats=$2 best= best_cpu= t cpu
    local tasks
    tasks=$(cat "$out"/results*.jsonl | wc -l)
    for _ in $(seq "$repeats"); do
        # %e wall, %U + %S CPU seconds
        read -r t cpu < <( { /usr/bin/time -f '%e %U %S' "$bin" report "$out" --to "$out/report.measure.html" >/dev/null; } 2>&1 \
            | tail -1 | awk '{print $1, $2 + $3}')
        if [[ -z $best ]] || (($(echo "$t < $best" | bc))); then best=$t best_cpu=$cpu; fi
    done
    echo "== $out (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    printf '%-34s %s\n' "tasks in the journals" "$tasks"
    printf '%-34s %s\n' "gridrun report (best of $repeats)" "${best} s wall, ${best_cpu} s CPU"
    printf '%-34s %s bytes\n' "report.html" "$(stat -c %s "$out/report.measure.html")"
    [[ -f $out/timeline.svg ]] && printf '%-34s %s bytes\n' "timeline.svg" "$(stat -c %s "$out/timeline.svg")"
    rm -f "$out/report.measure.html"
    echo "-- hand-written SVG against plotters =0.3.7 (SVG backend), same data:"
    target/release/examples/svg_compare "$out"
}

if [[ $# -ge 1 ]]; then
    measure "$1" "${2:-3}"
    exit
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/tree-10k.toml" <<TOML
name = "tree-10k"
[dataset]
path = "$PWD/datasets/wine.csv"
[model]
kind = "decision_tree"
[grid]
max_depth = [1, 2, 3, 4, 5, 6, 8, 10, 12, "none"]
min_samples_split = [2, 4, 8, 16, 32]
min_samples_leaf = [1, 2, 4, 8, 16]
max_features = ["sqrt", 0.25, 0.5, 0.75, "none"]
criterion = ["gini", "entropy"]
class_weight = ["none", "balanced"]
random_state = [0, 1]
[cv]
kind = "stratified_kfold"
folds = 3
seed = 0
TOML
"$bin" configs/rf.toml -q -o "$work/rf" >/dev/null
"$bin" "$work/tree-10k.toml" -q -o "$work/tree-10k" >/dev/null
measure "$work/rf" 3
measure "$work/tree-10k" 3
