#!/usr/bin/env bash
# The seed's 5 x 5 x 5 random_forest grid (n_estimators, max_depth,
# max_features) on datasets/synthetic_10k.csv, 5 stratified folds: full grid
# vs successive halving (factor 3, resource n_samples, scikit-learn's
# defaults) vs random search (n_iter 25), side by side: wall time and best
# mean CV accuracy. Then the same halving run with scikit-learn's
# HalvingGridSearchCV (same grid, factor, resource, folds; .venv from
# scripts/python-env.sh): candidates and resources per round, and the
# wall-time ratio. Targets: halving within 0.01 of the grid's best at <= 1/3
# of its wall time; random within 0.01 at about 1/5.
# Usage: scripts/bench_search.sh [JOBS]   (default: one per core)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
jobs=${1:-0}
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/gridrun"
data="$repo/datasets/synthetic_10k.csv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

config() { # $1 name, $2 [search] lines
  cat > "$work/$1.toml" <<TOML
name = "$1"
[dataset]
path = "$data"
[model]
kind = "random_forest"
[search]
$2
[grid]
n_estimators = [10, 20, 40, 80, 160]
max_depth = [2, 4, 8, 16, "none"]
max_features = ["sqrt", "log2", 0.1, 0.3, 0.6]
[cv]
kind = "stratified_kfold"
folds = 5
shuffle = true
seed = 0
[run]
jobs = $jobs
output = "$work/$1-out"
TOML
}
config grid 'method = "grid"'
config halving $'method = "halving"\nfactor = 3\nseed = 0'
config random $'method = "random"\nn_iter = 25\nseed = 0'

run() { # $1 name -> "wall best"
  local start end
  start=$(date +%s.%N)
  "$bin" run "$work/$1.toml" --quiet --fresh > /dev/null
  end=$(date +%s.%N)
  python3 - "$work/$1-out/best.json" "$start" "$end" <<'PY'
import json, sys
best = json.load(open(sys.argv[1]))
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.2f} {best['mean']:.4f}")
PY
}

echo "load: $(uptime)"
"$bin" plan "$work/halving.toml" | grep -E "successive halving|round"
read -r grid_wall grid_best < <(run grid)
read -r halving_wall halving_best < <(run halving)
read -r random_wall random_best < <(run random)
printf '%-10s %10s %10s %12s %12s\n' method wall_s best_acc vs_grid_acc wall/grid
for m in grid halving random; do
  wall=${m}_wall best=${m}_best
  python3 -c "import sys; w,b,gw,gb=map(float,sys.argv[1:5]); print(f'{sys.argv[5]:<10} {w:>10.2f} {b:>10.4f} {b-gb:>+12.4f} {w/gw:>12.3f}')" \
    "${!wall}" "${!best}" "$grid_wall" "$grid_best" "$m"
done

# Random search draws settings of the same grid, and a setting's scores do
# not depend on the method (same seeds per task), so the grid's table gives
# the odds of any random search of n_iter draws, not just this seed's.
python3 - "$work/grid-out/cv_results.csv" "$work/random-out/cv_results.csv" 25 <<'PY'
import csv, sys
from math import comb
grid = {r["params"]: float(r["mean_test_score"]) for r in csv.DictReader(open(sys.argv[1]))}
drawn = {r["params"]: float(r["mean_test_score"]) for r in csv.DictReader(open(sys.argv[2]))}
same = all(grid[p] == s for p, s in drawn.items())
print(f"random search's {len(drawn)} settings score as in the grid: {same}")
n, k = len(grid), int(sys.argv[3])
ranked = sorted(grid.values(), reverse=True)
near = sum(s >= ranked[0] - 0.01 for s in ranked)
p_near = 1 - comb(n - near, k) / comb(n, k)
# The best of k draws is ranked[j] when it is drawn and none above it is.
gap = sum(comb(n - 1 - j, k - 1) / comb(n, k) * (ranked[0] - s) for j, s in enumerate(ranked))
print(f"any seed, n_iter {k} of {n}: {near} settings lie within 0.01 of the best; "
      f"P(within 0.01) = {p_near:.3f}, expected shortfall {gap:.4f}")
enough = next(m for m in range(1, n + 1) if 1 - comb(n - near, m) / comb(n, m) >= 0.9)
print(f"n_iter for a 90% chance of being within 0.01: {enough} ({enough / n:.2f} of the grid)")
PY

py=$("$repo/scripts/python-env.sh")
start=$(date +%s.%N)
"$py" - "$data" "$work/halving-out/best.json" <<'PY'
import json, sys, time
import numpy as np
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, StratifiedKFold
from sklearn.ensemble import RandomForestClassifier
header = open(sys.argv[1]).readline().strip().split(",")
table = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
target = header.index("class")
x, y = np.delete(table, target, axis=1), table[:, target].astype(int)
grid = {"n_estimators": [10, 20, 40, 80, 160], "max_depth": [2, 4, 8, 16, None],
        "max_features": ["sqrt", "log2", 0.1, 0.3, 0.6]}
t = time.time()
search = HalvingGridSearchCV(RandomForestClassifier(random_state=0, n_jobs=1), grid, factor=3,
                             resource="n_samples", cv=StratifiedKFold(5, shuffle=True, random_state=0),
                             n_jobs=-1, random_state=0).fit(x, y)
wall = time.time() - t
ours = json.load(open(sys.argv[2]))["rounds"]
print("scikit-learn rounds: candidates", search.n_candidates_, "resources", search.n_resources_)
print("gridrun rounds:      candidates", [r["n_candidates"] for r in ours],
      "resources", [r["n_resources"] for r in ours])
same = search.n_candidates_ == [r["n_candidates"] for r in ours] and \
       search.n_resources_ == [r["n_resources"] for r in ours]
print("rounds equal:", same)
print(f"scikit-learn HalvingGridSearchCV wall {wall:.2f} s, best mean CV accuracy {search.best_score_:.4f}")
open(sys.argv[2] + ".sk_wall", "w").write(f"{wall}")
PY
sk_wall=$(cat "$work/halving-out/best.json.sk_wall")
python3 -c "import sys; print(f'wall time gridrun halving / scikit-learn halving: {float(sys.argv[1])/float(sys.argv[2]):.3f}')" "$halving_wall" "$sk_wall"
