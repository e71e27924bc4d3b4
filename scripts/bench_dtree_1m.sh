#!/usr/bin/env bash
# Decision-tree grid at scale: gridrun vs scikit-learn's GridSearchCV on the
# same data and folds, and gridrun's peak memory (PSS of the whole process
# tree: shared pages split among the processes mapping them).
#   scripts/bench_dtree_1m.sh [ROWS]     default 1000000 rows x 50 features
# Grid: max_depth 8 / 12 / none, 3 folds (KFold, no shuffle: the same rows in
# both), 2 jobs, best setting refit on all rows in both. gridrun's wall
# includes reading the CSV; scikit-learn's is printed without and with
# pandas.read_csv. Also prints the peak PSS at 500,000 rows (the memory
# goal: at most 1.5x the data; PSS_500K=0 skips it). Files are made once under target/bench/
# (BENCH_DIR to change).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${1:-1000000}
work=${BENCH_DIR:-$repo/target/bench}
mkdir -p "$work"
(cd "$repo" && cargo build --release --quiet)
gridrun=$repo/target/release/gridrun
PY=$("$repo/scripts/python-env.sh" dataframes)

dataset() { # ROWS -> path of the CSV (made once)
  local csv=$work/classification_${1}x50.csv
  if [[ ! -f $csv ]]; then
    "$gridrun" make-classification --samples "$1" --features 50 --informative 20 \
      --classes 10 --seed 0 --output "$csv" >&2
  fi
  echo "$csv"
}

# Runs the grid on ROWS with gridrun under peak_pss.py; prints the JSON figures.
gridrun_run() {
  local csv config out
  csv=$(dataset "$1")
  config=$work/dtree_$1.toml
  out=$work/dtree_$1_out
  cat > "$config" <<TOML
[dataset]
path = "$csv"
target = "class"
[model]
kind = "decision_tree"
random_state = 0
[grid]
max_depth = [8, 12, "none"]
[cv]
kind = "kfold"
folds = 3
shuffle = false
[scoring]
metrics = ["accuracy"]
[run]
jobs = 2
TOML
  rm -rf "$out"
  "$PY" "$repo/scripts/peak_pss.py" --json "$work/dtree_$1_pss.json" -- \
    "$gridrun" "$config" -q -o "$out" >/dev/null 2>&1
  cat "$work/dtree_$1_pss.json"
}

sklearn_run() {
  "$PY" - "$(dataset "$1")" <<'PYEOF'
import sys, time
start = time.perf_counter()
import pandas
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.tree import DecisionTreeClassifier
data = pandas.read_csv(sys.argv[1])
X, y = data.drop(columns="class").to_numpy(), data["class"].to_numpy()
read = time.perf_counter() - start
search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [8, 12, None]},
                      cv=KFold(3), n_jobs=2, scoring="accuracy", refit=True)
fit_start = time.perf_counter()
search.fit(X, y)
fit = time.perf_counter() - fit_start
print(f"{fit:.2f} {fit + read:.2f} {search.best_score_:.4f}")
PYEOF
}

field() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/dtree_$1_pss.json" "$2"; }

gridrun_run "$rows" >/dev/null
g_wall=$(field "$rows" wall_seconds)
g_pss=$(field "$rows" peak_tree_pss_bytes)
g_best=$("$PY" -c "import json,sys; print(round(json.load(open(sys.argv[1]))['mean'], 4))" "$work/dtree_${rows}_out/best.json")
read -r s_fit s_all s_best < <(sklearn_run "$rows")
data_bytes=$((rows * 50 * 8))
printf 'decision_tree %s x 50, max_depth 8/12/none, 3 folds, 2 jobs: gridrun %.1f s (best %s)   scikit-learn %.1f s fit, %.1f s with read_csv (best %s)   ratio %.2fx\n' \
  "$rows" "$g_wall" "$g_best" "$s_fit" "$s_all" "$s_best" "$(awk -v g="$g_wall" -v s="$s_all" 'BEGIN { print g / s }')"
printf 'decision_tree %s x 50: gridrun peak PSS %d MiB = %.2fx the data (%d MiB)\n' \
  "$rows" $((g_pss >> 20)) "$(awk -v a="$g_pss" -v d="$data_bytes" 'BEGIN { print a / d }')" $((data_bytes >> 20))
if [[ $rows != 500000 && ${PSS_500K:-1} != 0 ]]; then
  gridrun_run 500000 >/dev/null
  pss=$(field 500000 peak_tree_pss_bytes)
  printf 'decision_tree 500000 x 50: gridrun peak PSS %d MiB = %.2fx the data (%d MiB; goal <= 1.5x)\n' \
    $((pss >> 20)) "$(awk -v a="$pss" -v d=$((500000 * 50 * 8)) 'BEGIN { print a / d }')" $((500000 * 50 * 8 >> 20))
fi
