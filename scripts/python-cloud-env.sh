#!/usr/bin/env bash
# Creates (once) <repo>/.venv-cloud with the AWS and Kubernetes schema
# packages the export tests validate against, and prints its python:
#   PY=$(scripts/python-cloud-env.sh)
# botocore carries AWS Batch's service model and parameter validator; the
# kubernetes client carries the Kubernetes API's object models. A separate
# environment from scripts/python-env.sh (scikit-learn), so neither set of
# pins can disturb the other. Idempotent: reuses the environment when it
# already has these versions. (kubernetes 37.0.2 cannot be installed beside
# this botocore: conflicting urllib3 requirements.)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv-cloud"
# Two tests may ask at once (cargo runs them in parallel): one creates the
# environment while the other waits, then finds the pins and reuses it.
# Without the lock both ran `python -m venv` over one directory and the
# second's ensurepip failed mid-way through the first's pip install.
exec 9>"$repo/.venv-cloud.lock"
flock 9
want_botocore=1.44.8
want_kubernetes=36.0.3

has_pins() {
  "$venv/bin/python" - "$want_botocore" "$want_kubernetes" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit((version("botocore"), version("kubernetes")) != tuple(sys.argv[1:3]))
PY
}

if ! has_pins; then
  # Progress goes to stderr: stdout is only the python path.
  # --clear: a half-made environment (an interrupted run) is started afresh.
  "${PYTHON:-python3}" -m venv --clear "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "botocore==$want_botocore" "kubernetes==$want_kubernetes" >&2
  has_pins || { echo "python-cloud-env.sh: $venv lacks botocore $want_botocore / kubernetes $want_kubernetes" >&2; exit 1; }
fi
echo "$venv/bin/python"
