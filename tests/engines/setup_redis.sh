#!/usr/bin/env bash
# Make sure redis-server (Debian's package) is installed for the online-store tests. The tests
# start and stop a server of their own (tests/engines/redis_server.py: a free port on
# 127.0.0.1, no persistence); this script only installs the binary, with apt-get when it is
# missing, without starting the distribution's service. Idempotent and quiet.
set -euo pipefail

if ! command -v redis-server >/dev/null; then
  if ! command -v apt-get >/dev/null; then
    echo "redis-server is needed and apt-get is not available: install it with the system's" \
         "package manager" >&2
    exit 1
  fi
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  echo "installing redis-server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package from starting its service (exit 101: "action forbidden").
  restore=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    restore="yes"
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  if [[ -n "$restore" ]]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
fi
echo "redis ready: $(redis-server --version | cut -d' ' -f1-3)"
