#!/usr/bin/env bash
# Make sure the PostgreSQL server binaries that the Postgres test engine
# (tests/engines/postgres_engine.py) runs are installed: initdb and pg_ctl of PostgreSQL >= 15.
#
# The engine starts and stops a server of its own (initdb in a temporary directory, 127.0.0.1,
# a free port); this script only installs the binaries, with apt-get when they are missing, and
# tells the package not to create and start the distribution's default cluster (no server is
# left running on port 5432). Idempotent and quiet: does nothing when the binaries exist.
set -euo pipefail

find_initdb() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1 || command -v initdb || true
}

initdb="$(find_initdb)"
if [[ -z "$initdb" ]]; then
  if ! command -v apt-get >/dev/null; then
    echo "PostgreSQL >= 15 (initdb, pg_ctl) is needed and apt-get is not available:" \
         "install it with the system's package manager" >&2
    exit 1
  fi
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf \
      >/dev/null
  fi
  echo "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # The createcluster.conf written above predates the package: keep it, without a prompt.
  $sudo apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql >/dev/null
  initdb="$(find_initdb)"
fi
version="$("$initdb" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"
if (( version < 15 )); then
  echo "PostgreSQL $version found ($initdb); the postgres dialect and its tests need >= 15" >&2
  exit 1
fi
echo "postgresql ready: $initdb (PostgreSQL $version)"
