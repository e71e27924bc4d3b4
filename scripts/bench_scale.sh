#!/usr/bin/env bash
# gridrun at scale, every row of the scale issue's "Must show" in one run:
#   1. 100,000 x 50 (10 classes) random forest, n_estimators=100, 5 folds,
#      2 settings, 2 jobs, against scikit-learn's GridSearchCV on the same
#      data and folds, end to end with the refit: each phase side by side,
#      wall ratio (target <= 0.25x), predict ratio (target <= 1.0x), model
#      file size, coordinator and worker peak RSS;
#   2. 1,000,000 x 50 decision_tree grid (scripts/bench_dtree_1m.sh) and
#   3. the CSV import of that file (scripts/bench_csv_import.sh), when those
#      scripts are present;
#   4. 1,000,000 no-op tasks (debug model on iris): wall (target <= 30 s),
#      coordinator peak RSS (target <= 100 MB), timeline.svg size (<= 2 MB).
# Installs scikit-learn into .venv (scripts/python-env.sh) on first use.
# Usage: scripts/bench_scale.sh [WORKDIR]   (default: a temporary folder,
# removed at the end). ROWS="1 4" runs only some rows.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rows=${ROWS:-1 2 3 4}
want() { [[ " $rows " == *" $1 "* ]]; }
if [[ -n ${1:-} ]]; then work=$1; mkdir -p "$work"; else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/gridrun"
pss="$repo/scripts/peak_pss.py"
echo "gridrun scale benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), work folder $work"

if want 1; then
  py=$("$repo/scripts/python-env.sh")
  data="$work/synth100k.csv"
  [ -f "$data" ] || "$bin" make-classification --samples 100000 --features 50 --informative 20 \
      --classes 10 --seed 0 --output "$data" > /dev/null
  # The same 5 folds on both sides: row i is tested in fold i mod 5.
  python3 -c "print('\n'.join(str(i % 5) for i in range(100000)))" > "$work/folds100k.txt"
  cat > "$work/rf100k.toml" <<TOML
[dataset]
path = "$data"
[model]
kind = "random_forest"
n_estimators = 100
[grid]
max_features = ["sqrt", 0.1]
[cv]
kind = "predefined"
folds_file = "$work/folds100k.txt"
TOML
  rm -rf "$work/rf100k"
  python3 "$pss" --json "$work/rf100k.pss.json" -- "$bin" "$work/rf100k.toml" --jobs 2 --quiet \
      --fresh -o "$work/rf100k" > /dev/null 2> "$work/rf100k.err"
  mkdir -p "$work/sk100k"
  python3 "$pss" --json "$work/sk100k.pss.json" -- "$py" "$repo/scripts/bench_scale.py" rf "$data" \
      "$work/folds100k.txt" 2 "$work/sk100k" > "$work/sk100k.json" 2> "$work/sk100k.err"
  python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
load = lambda p: json.load(open(os.path.join(w, p)))
run, best, pss = load("rf100k/run.json"), load("rf100k/best.json"), load("rf100k.pss.json")
recs = [json.loads(l) for l in open(os.path.join(w, "rf100k/results.jsonl"))]
sk, sk_pss = load("sk100k.json"), load("sk100k.pss.json")
ours = {
    "fit (sum over 10 tasks)": sum(r["fit_seconds"] for r in recs),
    "predict + score (sum)": sum(r["score_seconds"] for r in recs),
    "refit on all rows": best.get("refit_seconds", float("nan")),
    "model write": best.get("model_write_seconds", float("nan")),
}
theirs = {
    "fit (sum over 10 tasks)": sk["fit_seconds"],
    "predict + score (sum)": sk["score_seconds"],
    "refit on all rows": sk["refit_seconds"],
    "model write": sk["write_seconds"],
}
print("1. 100,000 x 50 random forest, 100 trees, 5 folds x 2 settings, 2 jobs, refit; "
      f"scikit-learn {sk['sklearn']} GridSearchCV(n_jobs=2)")
print(f"   {'phase':<30} {'gridrun':>10} {'sklearn':>10} {'ratio':>7}")
for k in ours:
    print(f"   {k:<30} {ours[k]:>9.2f}s {theirs[k]:>9.2f}s {ours[k] / theirs[k]:>6.2f}x")
sk_wall = sk["search_wall_seconds"] + sk["write_seconds"]
print(f"   {'whole command (gridrun incl. CSV import)':<30} {pss['wall_seconds']:>9.2f}s {sk_wall:>9.2f}s "
      f"{pss['wall_seconds'] / sk_wall:>6.2f}x   target <= 0.25x  (sklearn without its {sk['load_seconds']:.1f} s np.loadtxt)")
pr = ours["predict + score (sum)"] / theirs["predict + score (sum)"]
print(f"   predict time ratio {pr:.2f}x   target <= 1.0x")
size = best.get("model_file_bytes", 0)
print(f"   model file: best_model.bin {size / 1e6:.1f} MB (sklearn pickle {sk['model_bytes'] / 1e6:.1f} MB), "
      f"written in {best.get('model_write_seconds', float('nan')):.2f} s   target < 1 s")
worker = max(run["peak_worker_rss_kb"], best.get("refit_worker_peak_rss_kb", 0))
print(f"   peak RSS: coordinator {pss['peak_root_rss_bytes'] / 2**20:.0f} MiB, worker {worker / 1024:.0f} MiB "
      f"(refit worker {best.get('refit_worker_peak_rss_kb', 0) / 1024:.0f} MiB); whole tree PSS "
      f"{pss['peak_tree_pss_bytes'] / 2**20:.0f} MiB vs sklearn {sk_pss['peak_tree_pss_bytes'] / 2**20:.0f} MiB")
print(f"   best mean accuracy: gridrun {best['mean']:.4f} {best['best_params']}, sklearn {sk['best_score']:.4f} {sk['best_params']}")
PY
fi

if want 2; then
  if [ -x "$repo/scripts/bench_dtree_1m.sh" ]; then
    echo "2. 1,000,000 x 50 decision_tree grid (scripts/bench_dtree_1m.sh):"
    # Its data files are made once under target/bench/ and kept (1.5 GB).
    "$repo/scripts/bench_dtree_1m.sh" | sed 's/^/   /'
  else
    echo "2. 1,000,000 x 50 decision_tree grid: scripts/bench_dtree_1m.sh is not in this checkout"
  fi
fi
if want 3; then
  if [ -x "$repo/scripts/bench_csv_import.sh" ]; then
    echo "3. CSV import of the 1,000,000 x 50 file (scripts/bench_csv_import.sh):"
    "$repo/scripts/bench_csv_import.sh" | sed 's/^/   /'
  else
    echo "3. CSV import: scripts/bench_csv_import.sh is not in this checkout"
  fi
fi

if want 4; then
  # 10,000 settings x 10 folds x 10 repeats = 1,000,000 tasks of the debug model.
  cat > "$work/noop1m.toml" <<TOML
[dataset]
path = "$repo/datasets/iris.csv"
[model]
kind = "debug"
[grid]
id = { range = [0, 10000] }
[cv]
kind = "repeated_kfold"
folds = 10
repeats = 10
TOML
  rm -rf "$work/noop1m"
  python3 "$pss" --interval 0.2 --json "$work/noop1m.pss.json" -- "$bin" "$work/noop1m.toml" --jobs 2 \
      --quiet -o "$work/noop1m" > /dev/null 2> "$work/noop1m.err"
  python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
pss = json.load(open(os.path.join(w, "noop1m.pss.json")))
svg = os.path.getsize(os.path.join(w, "noop1m/timeline.svg"))
html = os.path.getsize(os.path.join(w, "noop1m/report.html"))
print(f"4. 1,000,000 no-op tasks (debug model, iris, 2 workers): wall {pss['wall_seconds']:.1f} s (target <= 30), "
      f"coordinator peak RSS {pss['peak_root_rss_bytes'] / 1e6:.0f} MB (target <= 100), "
      f"timeline.svg {svg / 1e6:.2f} MB (target <= 2), report.html {html / 1e6:.2f} MB")
PY
fi
