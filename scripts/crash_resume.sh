#!/usr/bin/env bash
# SIGKILL the coordinator at random points, resume each time, and check that
# the final cv_results.csv equals an uninterrupted run's (score columns; the
# timing columns differ from run to run by nature).
# Usage: scripts/crash_resume.sh [TRIALS]   (default 12)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
trials=${1:-12}
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/gridrun"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/config.toml" <<TOML
[dataset]
path = "$repo/datasets/wine.csv"
[model]
kind = "logistic_regression"
[grid]
C = { logspace = [-3, 3], num = 12 }
max_iter = [300]
tol = [1e-6]
[cv]
kind = "repeated_stratified_kfold"
folds = 5
repeats = 2
seed = 5
[scoring]
metrics = ["accuracy", "f1_macro", "neg_log_loss"]
[run]
jobs = 2
TOML
start=$(date +%s.%N)
"$bin" "$work/config.toml" -q -o "$work/reference" > /dev/null
full=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
echo "uninterrupted run: $(printf '%.2f' "$full") s, $(wc -l < "$work/reference/results.jsonl") tasks"
scores() { python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1] + "/cv_results.csv")))
keep = [i for i, h in enumerate(rows[0]) if "test_" in h or h.startswith("param")]
for r in rows:
    print(",".join(r[i] for i in keep))
PY
}
for trial in $(seq 1 "$trials"); do
  delay=$(python3 -c "import random,sys; print(round(random.uniform(0.05, float(sys.argv[1])), 3))" "$full")
  "$bin" "$work/config.toml" -q -o "$work/crashy" > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  lines=$(wc -l < "$work/crashy/results.jsonl" 2>/dev/null || echo 0)
  echo "trial $trial: killed after ${delay}s, journal has $lines lines"
done
"$bin" "$work/config.toml" -o "$work/crashy" | tail -1
if diff <(scores "$work/reference") <(scores "$work/crashy") > /dev/null; then
  dupes=$(python3 -c "import json,sys; ids=[json.loads(l)['id'] for l in open(sys.argv[1])]; print(len(ids)-len(set(ids)))" "$work/crashy/results.jsonl")
  echo "PASS: after $trials kills and a resume, cv_results.csv scores equal the uninterrupted run's ($dupes duplicate journal lines)"
else
  echo "FAIL: cv_results.csv differs"; diff <(scores "$work/reference") <(scores "$work/crashy") | head; exit 1
fi
