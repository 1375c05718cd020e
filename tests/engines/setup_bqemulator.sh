#!/usr/bin/env bash
# Create the virtualenv the local BigQuery API server (bqemulator) runs in, for the tests of
# fsql's google-cloud-bigquery code paths (tests/engines/bqemulator_server.py starts it).
#
# bqemulator 1.4.0 pins sqlglot<30.12, which must not constrain fsql's own environment, so it
# lives in $REPO/.venv-bqemulator; the client (google-cloud-bigquery) runs in fsql's venv.
# Its DuckDB engine needs numpy for built-in UDFs (not declared by the package).
#
# Idempotent: does nothing when the venv exists and imports the pinned versions; otherwise
# (re)creates it. Environment: PYTHON (base interpreter, Python >= 3.11; default python3),
# FSQL_BQEMULATOR_VENV (target directory; default $REPO/.venv-bqemulator).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${FSQL_BQEMULATOR_VENV:-$REPO/.venv-bqemulator}"
PYTHON="${PYTHON:-python3}"
PINS=(
  "bqemulator==1.4.0"
  "sqlglot==30.11.0"
  "duckdb==2.0.1"
  "numpy==2.4.6"
)

check() {
  "$VENV/bin/python" -I - "${PINS[@]}" <<'PYEOF'
import sys
from importlib.metadata import version

import bqemulator.storage.engine  # noqa: F401
import numpy  # noqa: F401

for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    if version(name) != wanted:
        sys.exit(f"{name} {version(name)} != {wanted}")
PYEOF
}

if [[ -x "$VENV/bin/python" ]] && check >/dev/null 2>&1; then
  echo "bqemulator venv ready: $VENV"
  exit 0
fi

echo "creating bqemulator venv: $VENV"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 required")'
"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
check
echo "bqemulator venv ready: $VENV"
