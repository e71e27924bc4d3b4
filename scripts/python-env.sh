#!/usr/bin/env bash
# Creates (once) the project's Python environment with scikit-learn, for the
# comparison benchmarks and the reference figures; prints its python.
#   PY=$(scripts/python-env.sh)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv="$repo/.venv"
want_sklearn=1.9.1
if ! "$venv/bin/python" -c "import sklearn, sys; sys.exit(sklearn.__version__ != '$want_sklearn')" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet "scikit-learn==$want_sklearn" numpy >&2
fi
echo "$venv/bin/python"
