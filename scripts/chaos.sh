#!/usr/bin/env bash
# Chaos: worker SIGKILLs during runs and coordinator SIGKILLs + resume, with
# the damage counted against undisturbed runs of the same configs.
#   - DEBUG_RUNS runs of a 40,000-task grid (debug model, near-zero tasks),
#     one worker SIGKILLed every 50 ms;
#   - FOREST_RUNS runs of a random-forest grid, one worker SIGKILLed every 300 ms;
#   - COORD_KILLS coordinator SIGKILLs at random points of forest runs, each
#     run into its own folder and then resumed to the end (a trial whose run
#     ended before its random delay delivered no kill and is tried again).
# Prints kills delivered, runs aborted (exit code not 0), tasks lost (in the
# plan but in no journal), duplicated (journal lines beyond one per task),
# score cells of cv_results.csv differing from the undisturbed run, and
# workers left behind by a killed coordinator. Every target is 0.
# Usage: scripts/chaos.sh [DEBUG_RUNS] [FOREST_RUNS] [COORD_KILLS]   (default 3 2 20)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
debug_runs=${1:-3}
forest_runs=${2:-2}
coord_kills_wanted=${3:-20}
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy, so that a rebuild during the (long) run cannot swap the binary under it.
bin="$work/gridrun"
cp "$repo/target/release/gridrun" "$bin"

cat > "$work/debug.toml" <<TOML
[dataset]
path = "$repo/datasets/iris.csv"
[model]
kind = "debug"
[grid]
id = { range = [0, 20000] }
[cv]
kind = "kfold"
folds = 2
[run]
jobs = 2
retries = 1000
TOML
cat > "$work/forest.toml" <<TOML
[dataset]
path = "$repo/datasets/breast_cancer.csv"
[model]
kind = "random_forest"
[grid]
n_estimators = [20, 60]
max_features = ["sqrt", 0.5]
max_depth = [4, "none"]
[cv]
folds = 5
seed = 3
[scoring]
metrics = ["accuracy", "neg_log_loss"]
[run]
jobs = 2
retries = 1000
TOML

# lost, duplicated, differing score cells of OUT against REF ("lost dup diff")
check() { python3 - "$1" "$2" "$3" <<'PY'
import csv, json, glob, sys
out, ref, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = []
for f in glob.glob(out + "/results*.jsonl"):
    for line in open(f):
        try:
            ids.append(json.loads(line)["id"])
        except ValueError:
            pass  # a torn last line is reported by gridrun and ignored
def scores(d):
    rows = list(csv.reader(open(d + "/cv_results.csv")))
    keep = [i for i, h in enumerate(rows[0]) if "test_" in h or h.startswith("param")]
    return [[r[i] for i in keep] for r in rows]
b = scores(ref)
try:
    a = scores(out)
except OSError:
    a = []  # no cv_results.csv: every cell differs
diff = sum(x != y for ra, rb in zip(a, b) for x, y in zip(ra, rb)) + abs(len(a) - len(b)) * len(b[0])
print(total - len(set(ids)), len(ids) - len(set(ids)), diff)
PY
}

# Runs CONFIG into OUT, SIGKILLing a random worker every PERIOD seconds; prints "exit kills".
run_with_worker_kills() {
  local config=$1 out=$2 period=$3 kills=0
  "$bin" "$config" -q -o "$out" > /dev/null 2> "$out.err" &
  local pid=$!
  while kill -0 "$pid" 2> /dev/null; do
    sleep "$period"
    local worker
    worker=$(pgrep -P "$pid" | shuf -n 1 || true)
    if [ -n "$worker" ] && kill -KILL "$worker" 2> /dev/null; then kills=$((kills + 1)); fi
  done
  local code=0
  wait "$pid" || code=$?
  echo "$code $kills"
}

total_kills=0 aborted=0 lost=0 dup=0 diff=0 diff_runs=0 orphans=0
series() {
  local name=$1 runs=$2 period=$3 tasks=$4
  "$bin" "$work/$name.toml" -q -o "$work/$name-ref" > /dev/null
  for i in $(seq 1 "$runs"); do
    local start end code kills l d s
    start=$(date +%s.%N)
    read -r code kills < <(run_with_worker_kills "$work/$name.toml" "$work/$name-$i" "$period")
    end=$(date +%s.%N)
    read -r l d s < <(check "$work/$name-$i" "$work/$name-ref" "$tasks")
    printf '%s run %d: %d worker kills in %.1f s, exit %d, lost %s, duplicated %s, score cells differing %s\n' \
      "$name" "$i" "$kills" "$(echo "$end - $start" | bc)" "$code" "$l" "$d" "$s"
    [ "$code" -eq 0 ] || { aborted=$((aborted + 1)); head -c 300 "$work/$name-$i.err"; echo; }
    [ "$l" = 0 ] || tail -c 300 "$work/$name-$i.err"
    total_kills=$((total_kills + kills)) lost=$((lost + l)) dup=$((dup + d)) diff=$((diff + s))
    [ "$s" = 0 ] || diff_runs=$((diff_runs + 1))
  done
}
series debug "$debug_runs" 0.05 40000
series forest "$forest_runs" 0.3 40

# Coordinator SIGKILLs at random points (start-up and refit included), each
# trial into a fresh folder and resumed to the end.
start=$(date +%s.%N)
"$bin" "$work/forest.toml" -q -o "$work/coord-timing" > /dev/null
full=$(echo "$(date +%s.%N) - $start" | bc)
coord_kills=0 t=0
while [ "$coord_kills" -lt "$coord_kills_wanted" ] && [ "$t" -lt $((3 * coord_kills_wanted)) ]; do
  t=$((t + 1))
  delay=$(python3 -c "import random,sys; print(round(random.uniform(0.02, 0.9 * float(sys.argv[1])), 3))" "$full")
  "$bin" "$work/forest.toml" -q -o "$work/coord-$t" > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  killed=no
  if kill -KILL "$pid" 2> /dev/null; then coord_kills=$((coord_kills + 1)) killed=yes; fi
  wait "$pid" 2> /dev/null || true
  sleep 0.3
  left=$( (pgrep -f "^$bin __worker" || true) | while read -r w; do [ "$(ps -o ppid= -p "$w" | tr -d ' ')" = 1 ] && echo "$w"; done | wc -l)
  orphans=$((orphans + left))
  code=0
  "$bin" "$work/forest.toml" -q -o "$work/coord-$t" > /dev/null 2> "$work/coord-$t.err" || code=$?
  [ "$code" -eq 0 ] || { aborted=$((aborted + 1)); head -c 300 "$work/coord-$t.err"; echo; }
  read -r l d s < <(check "$work/coord-$t" "$work/forest-ref" 40)
  echo "coordinator trial $t: SIGKILL after ${delay} s of a ${full%??????} s run (delivered: $killed), resume exit $code, lost $l, duplicated $d, score cells differing $s, orphaned workers $left"
  lost=$((lost + l)) dup=$((dup + d)) diff=$((diff + s))
  [ "$s" = 0 ] || diff_runs=$((diff_runs + 1))
done

echo "TOTAL: worker kills delivered $total_kills, coordinator kills delivered $coord_kills (each resumed); runs aborted $aborted, tasks lost $lost, duplicated $dup, score cells differing from the undisturbed run $diff (in $diff_runs runs), orphaned workers $orphans"
[ "$coord_kills" -ge "$coord_kills_wanted" ] && [ "$aborted" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$dup" -eq 0 ] && [ "$diff" -eq 0 ] && [ "$orphans" -eq 0 ]
