#!/usr/bin/env bash
# CSV import: gridrun vs pandas.read_csv vs polars.read_csv on the same file,
# seconds side by side (each the best of RUNS runs).
#   scripts/bench_csv_import.sh [ROWS]      default 1000000 rows x 50 features
# The file is made once by `gridrun make-classification` under
# target/bench/ (BENCH_DIR to change). gridrun's figure is a whole run of the
# `debug` model on one holdout split with a fresh output folder: reading the
# CSV into the binary cache is nearly all of it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${1:-1000000}
runs=${RUNS:-3}
work=${BENCH_DIR:-$repo/target/bench}
mkdir -p "$work"
(cd "$repo" && cargo build --release --quiet)
gridrun=$repo/target/release/gridrun
csv=$work/classification_${rows}x50.csv
if [[ ! -f $csv ]]; then
  "$gridrun" make-classification --samples "$rows" --features 50 --informative 20 \
    --classes 10 --seed 0 --output "$csv" >&2
fi
PY=$("$repo/scripts/python-env.sh" dataframes)

config=$work/csv_import.toml
cat > "$config" <<TOML
[dataset]
path = "$csv"
target = "class"
[model]
kind = "debug"
[cv]
kind = "holdout"
[run]
jobs = 1
TOML

best_of() { sort -g | head -1; }
gridrun_once() {
  rm -rf "$work/csv_import_out"
  local start end
  start=$(date +%s.%N)
  "$gridrun" "$config" -q -o "$work/csv_import_out" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
python_once() {
  "$PY" - "$1" "$csv" <<'PYEOF'
import sys, time
lib, path = sys.argv[1], sys.argv[2]
# The library is imported before the clock starts: only read_csv is timed.
if lib == "pandas":
    import pandas
    read = pandas.read_csv
else:
    import polars
    read = polars.read_csv
start = time.perf_counter()
read(path)
print(f"{time.perf_counter() - start:.3f}")
PYEOF
}
g=$(for _ in $(seq "$runs"); do gridrun_once; done | best_of)
p=$(for _ in $(seq "$runs"); do python_once pandas; done | best_of)
o=$(for _ in $(seq "$runs"); do python_once polars; done | best_of)
size=$(du -mL "$csv" | cut -f1)
printf 'csv import %s x 50 (%s MB): gridrun %.2f s   pandas %.2f s   polars %.2f s   (gridrun/pandas %.2fx)\n' \
  "$rows" "$size" "$g" "$p" "$o" "$(awk -v g="$g" -v p="$p" 'BEGIN { print g / p }')"
