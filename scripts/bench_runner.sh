#!/usr/bin/env bash
# The runner's own costs, measured in one run, against the targets of the
# gridrun core issue:
#   1. dispatch overhead on 10,000 no-op tasks with 2 workers  (<= 0.05 ms/task)
#   2. speed-up of 2 workers over 1 on a CPU-bound grid         (>= 1.9)
#   3. peak PSS of the whole process tree searching a generated
#      500,000 x 50 dataset (200 MB as f64) with 2 workers      (<= 2.5x the data)
#      and the coordinator's own peak RSS on that data vs on iris (flat).
# Usage: scripts/bench_runner.sh [WORKDIR]   (default: a temporary folder)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/gridrun"
pss="$repo/scripts/peak_pss.py"
echo "gridrun runner benchmark ($(nproc) cores), work folder $work"

json_field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# 1. Dispatch overhead: the debug model does nothing, so wall time is the runner.
cat > "$work/noop.toml" <<TOML
[dataset]
path = "$repo/datasets/iris.csv"
[model]
kind = "debug"
[grid]
id = { range = [0, 2000] }
[cv]
folds = 5
TOML
"$bin" "$work/noop.toml" --jobs 2 --quiet --output "$work/noop" > /dev/null
python3 - "$work/noop" <<'PY'
import json, sys
out = sys.argv[1]
run = json.load(open(f"{out}/run.json"))
recs = [json.loads(l) for l in open(f"{out}/results.jsonl")]
span = max(r["end"] for r in recs) - min(r["start"] for r in recs)
n = run["tasks"]
print(f"1. dispatch: {n} no-op tasks, 2 workers: {1000*run['wall_seconds']/n:.4f} ms/task "
      f"(whole run incl. start-up, {run['wall_seconds']:.3f} s); {1000*span/n:.4f} ms/task between "
      f"first start and last end   target <= 0.05")
PY

# 2. Speed-up on a CPU-bound grid: decision trees on synthetic 10k x 50 data.
[ -f "$work/synth10k.csv" ] || "$bin" make-classification --samples 10000 --features 50 --informative 20 \
    --classes 10 --seed 0 --output "$work/synth10k.csv"
cat > "$work/cpu.toml" <<TOML
[dataset]
path = "$work/synth10k.csv"
[model]
kind = "${SPEEDUP_MODEL:-decision_tree}"
[grid]
max_depth = [6, 8, 10, 12, 14, "none"]
min_samples_leaf = [1, 2, 4, 8]
[cv]
folds = 5
TOML
for j in 1 2; do "$bin" "$work/cpu.toml" --jobs "$j" --quiet --output "$work/cpu-$j" > /dev/null; done
w1=$(json_field "$work/cpu-1/run.json" wall_seconds); w2=$(json_field "$work/cpu-2/run.json" wall_seconds)
python3 -c "import sys; w1,w2=float(sys.argv[1]),float(sys.argv[2]); print(f'2. speed-up: 120 tree fits, 1 worker {w1:.2f} s, 2 workers {w2:.2f} s: {w1/w2:.2f}x   target >= 1.9')" "$w1" "$w2"

# 3. Memory: 500,000 x 50 generated data, 2 workers, whole-tree PSS.
[ -f "$work/synth500k.csv" ] || "$bin" make-classification --samples 500000 --features 50 --informative 20 \
    --classes 10 --seed 1 --output "$work/synth500k.csv"
data_bytes=$((500000 * 50 * 8))
for model in debug decision_tree; do
  grid='touch_data = [true]
id = [0, 1, 2]'
  [ "$model" = decision_tree ] && grid='max_depth = [8, 12, 16]'
  cat > "$work/mem-$model.toml" <<TOML
[dataset]
path = "$work/synth500k.csv"
[model]
kind = "$model"
[grid]
$grid
[cv]
folds = 3
TOML
  # The first run also imports the CSV (streamed, in the coordinator): its
  # RSS staying flat covers the import too.
  python3 "$pss" --json "$work/mem-$model.json" -- "$bin" "$work/mem-$model.toml" --jobs 2 --quiet --output "$work/mem-out" > /dev/null 2>&1
  python3 - "$work/mem-$model.json" "$data_bytes" "$model" <<'PY'
import json, sys
f = json.load(open(sys.argv[1])); data = int(sys.argv[2]); model = sys.argv[3]
print(f"3. memory ({model}): peak PSS of the tree {f['peak_tree_pss_bytes']/2**20:.0f} MiB = "
      f"{f['peak_tree_pss_bytes']/data:.2f}x the data ({data/2**20:.0f} MiB)   target <= 2.5; "
      f"coordinator peak RSS {f['peak_root_rss_bytes']/2**20:.1f} MiB, wall {f['wall_seconds']:.1f} s")
PY
done
# Coordinator RSS on a tiny dataset, for comparison: it must not grow with the data.
python3 "$pss" --json "$work/mem-iris.json" -- "$bin" "$work/noop.toml" --jobs 2 --quiet --output "$work/noop2" > /dev/null 2>&1
python3 -c "
import json,sys; f=json.load(open(sys.argv[1]))
print(f\"   coordinator peak RSS on iris (10,000 tasks): {f['peak_root_rss_bytes']/2**20:.1f} MiB\")" "$work/mem-iris.json"
