#!/usr/bin/env bash
# gridrun's own trees and forests against scikit-learn, in one run, on the
# same data (datasets/synthetic_10k.csv: make_classification 10,000 x 50, 20
# informative, 10 classes), the same 80/20 split, grid and folds.
# Installs scikit-learn into .venv (scripts/python-env.sh) on first use.
# Usage: scripts/bench_vs_sklearn.sh [SEEDS]   (default 20: fit times are
# medians, accuracies means over random_state 0..SEEDS-1; a forest's test
# accuracy varies by about 0.007 from seed to seed, so 5 seeds are too few
# to judge a 0.01 difference). CASES="1 2" runs only some of the cases:
# 1-4 trees and forests, 5 gradient boosting on 10k x 50 (10 classes), 6 on
# 100k x 50 (made once by gridrun make-classification into the work dir),
# each against scikit-learn's HistGradientBoostingClassifier and LightGBM
# with 1 and 2 threads (boosting is deterministic: BOOST_REPEATS fits, 3 by
# default, give a median time), 7 the linfa-backed models (svc, svr, knn,
# linear models) against scikit-learn on breast_cancer / regression_1k, the
# 5 folds of tests/reference: median fit and predict seconds per fold.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
seeds=${1:-20}
cases=${CASES:-1 2 3 4 5 6 7}
want() { [[ " $cases " == *" $1 "* ]]; }
py=$("$repo/scripts/python-env.sh")
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/gridrun"
data="$repo/datasets/synthetic_10k.csv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Test rows: every fifth (20%), the same for both sides.
python3 -c "import sys; print('\n'.join('0' if i % 5 == 4 else '-1' for i in range(10000)))" > "$work/split.txt"

# ours: one fit per random_state on the split; $1 model, $2 extra [model] lines, $3 cores
ours_fit() {
  cat > "$work/fit.toml" <<TOML
[dataset]
path = "$data"
[model]
kind = "$1"
$2
[grid]
random_state = { range = [0, $seeds] }
[cv]
kind = "predefined"
folds_file = "$work/split.txt"
TOML
  taskset -c "$3" "$bin" "$work/fit.toml" --jobs 1 --quiet --fresh -o "$work/fit-out" > /dev/null
  python3 - "$work/fit-out/results.jsonl" <<'PY'
import json, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
print(json.dumps({"median_fit_seconds": statistics.median(r["fit_seconds"] for r in recs),
                  "mean_accuracy": statistics.mean(r["scores"]["accuracy"] for r in recs)}))
PY
}

row() { # name ours_json sklearn_json time_target acc_tolerance
  python3 - "$@" <<'PY'
import json, sys
name, ours, theirs, target, tol = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
t_o, t_s = ours["median_fit_seconds"], theirs["median_fit_seconds"]
a_o, a_s = ours["mean_accuracy"], theirs["mean_accuracy"]
ok = "ok" if t_o / t_s <= target and a_o >= a_s - tol else "MISSED"
print(f"{name:<34} {t_o:>8.3f}s {t_s:>8.3f}s {t_o / t_s:>6.2f}x  {a_o:.4f}  {a_s:.4f} {a_o - a_s:+.4f}  {ok}")
PY
}

echo "gridrun vs scikit-learn $("$py" -c 'import sklearn; print(sklearn.__version__)') on $(nproc) cores; $seeds seeds"
printf '%-34s %9s %9s %7s  %6s  %6s %7s\n' case gridrun sklearn ratio "acc" "acc" diff
if want 1; then
  ours=$(ours_fit random_forest "n_estimators = 100" 0)
  theirs=$("$py" "$repo/scripts/bench_sklearn.py" fit "$data" "$work/split.txt" random_forest "$seeds" 1)
  row "1. forest 100 trees sqrt, 1 thread" "$ours" "$theirs" 0.5 0.01
fi
if want 2; then
  ours=$(ours_fit decision_tree "" 0)
  theirs=$("$py" "$repo/scripts/bench_sklearn.py" fit "$data" "$work/split.txt" decision_tree "$seeds" 1)
  row "2. decision tree defaults" "$ours" "$theirs" 0.5 0.01
fi
if want 3; then
# 3. End to end: configs/rf.toml vs GridSearchCV with the same grid and folds, 2 jobs each.
"$bin" "$repo/configs/rf.toml" --jobs 2 --quiet --fresh -o "$work/e2e" > /dev/null
theirs=$("$py" "$repo/scripts/bench_sklearn.py" grid "$data" 2)
python3 - "$work/e2e/run.json" "$work/e2e/best.json" "$theirs" <<'PY'
import json, sys
run, best, theirs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), json.loads(sys.argv[3])
w_o, w_s = run["wall_seconds"], theirs["wall_seconds"]
a_o, a_s = best["mean"], theirs["best_mean_accuracy"]
ok = "ok" if w_o / w_s <= 0.5 and abs(a_o - a_s) <= 0.01 else "MISSED"
print(f"{'3. configs/rf.toml vs GridSearchCV':<34} {w_o:>8.1f}s {w_s:>8.1f}s {w_o / w_s:>6.2f}x  {a_o:.4f}  {a_s:.4f} {a_o - a_s:+.4f}  {ok}")
print(f"   best: gridrun {best['best_params']}, scikit-learn {theirs['best_params']}")
PY

fi
if want 4; then
# 4. The classic experiment: a 500-tree forest, 1 core vs 2 cores (3 fits each).
seeds=3
o1=$(ours_fit random_forest "n_estimators = 500" 0 | python3 -c "import json,sys; print(json.load(sys.stdin)['median_fit_seconds'])")
o2=$(ours_fit random_forest "n_estimators = 500" 0,1 | python3 -c "import json,sys; print(json.load(sys.stdin)['median_fit_seconds'])")
s1=$("$py" "$repo/scripts/bench_sklearn.py" fit "$data" "$work/split.txt" random_forest 1 1 500 | python3 -c "import json,sys; print(json.load(sys.stdin)['median_fit_seconds'])")
s2=$("$py" "$repo/scripts/bench_sklearn.py" fit "$data" "$work/split.txt" random_forest 1 2 500 | python3 -c "import json,sys; print(json.load(sys.stdin)['median_fit_seconds'])")
python3 -c "
import sys; o1,o2,s1,s2 = map(float, sys.argv[1:])
print(f'4. 500-tree forest: gridrun 1 core {o1:.2f}s, 2 cores {o2:.2f}s ({o1/o2:.2f}x); scikit-learn n_jobs=1 {s1:.2f}s, n_jobs=2 {s2:.2f}s ({s1/s2:.2f}x)')" "$o1" "$o2" "$s1" "$s2"
fi

# 5, 6. Gradient boosting: same parameters everywhere (100 iterations,
# learning rate 0.1, 31 leaves, early stopping off), 1 and 2 threads.
boost_case() { # label data split
  local label=$1 data=$2 split=$3 reps=${BOOST_REPEATS:-3}
  for threads in 1 2; do
    local cpus=0; [[ $threads == 2 ]] && cpus=0,1
    cat > "$work/boost.toml" <<TOML
[dataset]
path = "$data"
[model]
kind = "gradient_boosting"
max_iter = 100
learning_rate = 0.1
max_leaf_nodes = 31
early_stopping = false
[grid]
random_state = { range = [0, $reps] }
[cv]
kind = "predefined"
folds_file = "$split"
TOML
    taskset -c "$cpus" "$bin" "$work/boost.toml" --jobs 1 --quiet --fresh -o "$work/boost-out" > /dev/null
    ours=$(python3 - "$work/boost-out/results.jsonl" <<'PY'
import json, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
print(json.dumps({"median_fit_seconds": statistics.median(r["fit_seconds"] for r in recs),
                  "mean_accuracy": statistics.mean(r["scores"]["accuracy"] for r in recs)}))
PY
)
    hgb=$(taskset -c "$cpus" "$py" "$repo/scripts/bench_sklearn.py" boost "$data" "$split" hgb "$reps" "$threads")
    lgb=$(taskset -c "$cpus" "$py" "$repo/scripts/bench_sklearn.py" boost "$data" "$split" lightgbm "$reps" "$threads")
    row "$label, $threads thr vs HGB" "$ours" "$hgb" 0.5 0.01
    row "$label, $threads thr vs LightGBM" "$ours" "$lgb" 1.0 0.01
  done
}
if want 5; then
  boost_case "5. boosting 10k x 50" "$data" "$work/split.txt"
fi
if want 6; then
  "$bin" make-classification --samples 100000 --features 50 --informative 20 --classes 10 \
    --seed 0 -o "$work/synthetic_100k.csv" 2> /dev/null
  python3 -c "import sys; print('\n'.join('0' if i % 5 == 4 else '-1' for i in range(100000)))" > "$work/split100k.txt"
  boost_case "6. boosting 100k x 50" "$work/synthetic_100k.csv" "$work/split100k.txt"
fi

# 7. linfa-backed models vs scikit-learn (same folds, scaled like gridrun's
# defaults), one core each: fit and predict time ratios.
if want 7; then
  printf '%-34s %9s %9s %7s  %9s %9s %7s  %6s %6s\n' "7. linfa model (1 core)" "fit" "sk fit" ratio "predict" "sk pred" ratio score "sk"
  for model in svc_rbf svc_linear knn svr_rbf svr_linear knn_regression linear_regression ridge lasso elastic_net; do
    case $model in
      svc*|knn) name=breast_cancer; metric=accuracy ;;
      *) name=regression_1k; metric=r2 ;;
    esac
    cat > "$work/linfa.toml" <<TOML
[dataset]
path = "$repo/datasets/$name.csv"
[model]
$("$py" "$repo/scripts/bench_sklearn.py" linfa_config "$model")
[cv]
kind = "predefined"
folds_file = "$repo/tests/reference/folds_$name.txt"
[scoring]
metrics = ["$metric"]
TOML
    taskset -c 0 "$bin" "$work/linfa.toml" --jobs 1 --quiet --fresh -o "$work/linfa-out" > /dev/null
    theirs=$(taskset -c 0 "$py" "$repo/scripts/bench_sklearn.py" linfa "$model" "$repo/datasets/$name.csv" "$repo/tests/reference/folds_$name.txt")
    python3 - "$work/linfa-out/results.jsonl" "$theirs" "$model" "$metric" <<'PY'
import json, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
theirs, model, metric = json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
fit = statistics.median(r["fit_seconds"] for r in recs)
pred = statistics.median(r["score_seconds"] for r in recs)
score = statistics.mean(r["scores"][metric] for r in recs)
sf, sp = theirs["median_fit_seconds"], theirs["median_score_seconds"]
print(f"   {model:<31} {fit:>8.4f}s {sf:>8.4f}s {fit / sf:>6.1f}x  {pred:>8.4f}s {sp:>8.4f}s {pred / sp:>6.1f}x  {score:.4f} {theirs['mean_score']:.4f}")
PY
  done
fi
