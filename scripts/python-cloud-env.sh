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
  "${PYTHON:-python3}" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "botocore==$want_botocore" "kubernetes==$want_kubernetes" >&2
  has_pins || { echo "python-cloud-env.sh: $venv lacks botocore $want_botocore / kubernetes $want_kubernetes" >&2; exit 1; }
fi
echo "$venv/bin/python"
