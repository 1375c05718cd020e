#!/usr/bin/env bash
# Create the virtualenv the Snowflake test engine (tests/engines/fakesnow_engine.py) runs in.
#
# fakesnow 0.12.1 needs snowflake-connector-python 4.x and pins sqlglot~=30.22, which must not
# constrain fsql's own environment, so it lives in $REPO/.venv-fakesnow. Patch mode
# (fakesnow.patch()) needs no extra; server mode (tests/engines/fakesnow_server.py, used by
# the dbt-snowflake test) needs the "server" extra's starlette and uvicorn, pinned here.
#
# Idempotent: does nothing when the venv exists and imports the pinned versions; otherwise
# (re)creates it. Environment: PYTHON (base interpreter, Python >= 3.11; default python3),
# FSQL_FAKESNOW_VENV (target directory; default $REPO/.venv-fakesnow).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${FSQL_FAKESNOW_VENV:-$REPO/.venv-fakesnow}"
PYTHON="${PYTHON:-python3}"
PINS=(
  "fakesnow==0.12.1"
  "snowflake-connector-python==4.8.1"
  "sqlglot==30.22.0"
  "duckdb==2.0.0"
  "starlette==1.10.0"
  "uvicorn==0.55.0"
)

check() {
  "$VENV/bin/python" -I - "${PINS[@]}" <<'EOF'
import sys
from importlib.metadata import version

import fakesnow  # noqa: F401
import snowflake.connector  # noqa: F401
import uvicorn  # noqa: F401

for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    if version(name) != wanted:
        sys.exit(f"{name} {version(name)} != {wanted}")
EOF
}

if [[ -x "$VENV/bin/python" ]] && check >/dev/null 2>&1; then
  echo "fakesnow venv ready: $VENV"
  exit 0
fi

echo "creating fakesnow venv: $VENV"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 required")'
"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
check
echo "fakesnow venv ready: $VENV"
