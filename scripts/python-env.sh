#!/usr/bin/env bash
# Creates (once) the project's Python environment, <repo>/.venv, with
# scikit-learn for the comparison benchmarks and the reference figures, and
# prints its python. Reuses the environment when it already has these
# versions, so it is cheap to call from other scripts:
#   PY=$(scripts/python-env.sh)
# With the argument `dataframes` it also installs (once) pandas and polars,
# for the CSV import comparison (scripts/bench_csv_import.sh) only:
#   PY=$(scripts/python-env.sh dataframes)
# Pinned: tests/reference/sklearn_cv.json records the versions it was made with.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv"
# Two tests may ask at once (cargo runs them in parallel): one creates the
# environment while the other waits, then finds the pins and reuses it.
# Without the lock both ran `python -m venv` over one directory and the
# second's ensurepip failed mid-way through the first's pip install.
exec 9>"$repo/.venv.lock"
flock 9
want_sklearn=1.9.1
want_numpy=2.4.6
# LightGBM: the gradient boosting comparison of scripts/bench_vs_sklearn.sh.
want_lightgbm=4.6.0

has_pins() {
  "$venv/bin/python" - "$want_sklearn" "$want_numpy" "$want_lightgbm" 2>/dev/null <<'EOF'
import sys
import lightgbm, numpy, sklearn
sys.exit((sklearn.__version__, numpy.__version__, lightgbm.__version__) != tuple(sys.argv[1:4]))
EOF
}

if ! has_pins; then
  # Progress goes to stderr: stdout is only the python path.
  # --clear: a half-made environment (an interrupted run) is started afresh.
  "${PYTHON:-python3}" -m venv --clear "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "scikit-learn==$want_sklearn" "numpy==$want_numpy" "lightgbm==$want_lightgbm" >&2
  has_pins || { echo "python-env.sh: $venv lacks scikit-learn $want_sklearn / numpy $want_numpy / lightgbm $want_lightgbm" >&2; exit 1; }
fi
want_pandas=3.1.1
want_polars=2.1.0
has_dataframes() {
  "$venv/bin/python" - "$want_pandas" "$want_polars" 2>/dev/null <<'EOF'
import sys
import pandas, polars
sys.exit((pandas.__version__, polars.__version__) != tuple(sys.argv[1:3]))
EOF
}
if [[ "${1:-}" == dataframes ]] && ! has_dataframes; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pandas==$want_pandas" "polars==$want_polars" "numpy==$want_numpy" >&2
  has_dataframes || { echo "python-env.sh: $venv lacks pandas $want_pandas / polars $want_polars" >&2; exit 1; }
fi
echo "$venv/bin/python"
