#!/usr/bin/env bash
# Create the virtualenv the dbt tests (tests/test_dbt.py on DuckDB, tests/test_dbt_bigquery.py
# against the local BigQuery API server) run `dbt build` from.
#
# dbt-core pins its own dependency ranges (protobuf, jsonschema, ...), which must not constrain
# fsql's environment, so dbt lives in $REPO/.venv-dbt and the tests run `.venv-dbt/bin/dbt` as a
# subprocess. These versions were found to install together here (dbt-bigquery
# 1.12.1 runs on dbt-core 1.11); dbt-core 1.12 needs a
# package whose build downloads a binary and does not install.
#
# Idempotent: does nothing when the venv exists and holds the pinned versions; otherwise
# (re)creates it. Environment: PYTHON (base interpreter, Python >= 3.11; default python3),
# FSQL_DBT_VENV (target directory; default $REPO/.venv-dbt).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${FSQL_DBT_VENV:-$REPO/.venv-dbt}"
PYTHON="${PYTHON:-python3}"
PINS=(
  "dbt-core==1.11.16"
  "dbt-duckdb==1.11.1"
  "dbt-bigquery==1.12.1"
  "dbt-snowflake==1.12.4"
  "duckdb==2.0.0"
)

check() {
  # (an `if !`: inside `if check`, set -e does not stop at a failed command)
  if ! "$VENV/bin/python" -I - "${PINS[@]}" <<'PY'
import sys
from importlib.metadata import version

import dbt.adapters.bigquery  # noqa: F401
import dbt.adapters.duckdb  # noqa: F401
import dbt.adapters.snowflake  # noqa: F401
import duckdb  # noqa: F401

for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    if version(name) != wanted:
        sys.exit(f"{name} {version(name)} != {wanted}")
PY
  then return 1; fi
  [[ -x "$VENV/bin/dbt" ]]
}

if [[ -x "$VENV/bin/python" ]] && check >/dev/null 2>&1; then
  echo "dbt venv ready: $VENV"
  exit 0
fi

echo "creating dbt venv: $VENV"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 required")'
"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
check
echo "dbt venv ready: $VENV"
