#!/usr/bin/env bash
# Makes sure what the test suite needs is on this machine, installing what is
# missing: the pgvector extension for the local PostgreSQL, Debian's
# chromium for the browser tests, and running PostgreSQL and NATS servers.
# Idempotent and quick when everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

sudo_=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo_="sudo -n"
  else
    echo "test-deps: not root and no password-less sudo: checking only" >&2
    sudo_="none"
  fi
fi
run_root() {
  if [ "$sudo_" = none ]; then echo "test-deps: would run: $*" >&2; return 1; fi
  $sudo_ "$@"
}

# PostgreSQL: start the local cluster when it is installed but down.
if command -v pg_lsclusters >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    ver=$(ls /etc/postgresql | sort -n | tail -1)
    run_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  fi
  run_root bash "$here/install-pgvector.sh" || echo "test-deps: pgvector not installed" >&2
fi

# NATS: the machine's server at 127.0.0.1:4222, used by tests that talk to an
# outside NATS (most tests start an in-process server of their own).
if command -v nats-server >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  run_root mkdir -p /var/lib/nats-server
  run_root start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi

# Chromium for the headless browser tests.
if ! command -v chromium >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  run_root apt-get update -qq || true
  run_root apt-get install -y -qq chromium >/dev/null || echo "test-deps: chromium not installed" >&2
fi
echo "test-deps: pgvector $( [ -f "$(pg_config --sharedir 2>/dev/null)/extension/vector.control" ] && echo ok || echo missing ), chromium $(command -v chromium >/dev/null && echo ok || echo missing)"
