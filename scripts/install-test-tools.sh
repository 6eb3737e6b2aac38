#!/usr/bin/env bash
# Installs the tools the test suite starts itself: redis-server (Debian package redis-server),
# used by gatehouse-replay-redis's tests on 127.0.0.1. Idempotent and non-interactive: does nothing
# when redis-server is already on the PATH; otherwise installs it with apt-get (needs root).
# Without it the Redis tests are skipped locally, and fail under CI (CI set).
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "install-test-tools: redis-server present ($(redis-server --version | head -n1))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-tools: redis-server is missing and apt-get is not available;" \
    "install redis-server (7.0 or later) with your package manager" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "install-test-tools: run as root (or with sudo) to install redis-server" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# A few attempts: another apt-get (or a second run of this script) may hold the package lock for
# a while; once it is done, redis-server may already be there.
for attempt in 1 2 3 4 5 6; do
  # --no-install-recommends: the server binary only; the package's service is not needed (tests
  # start their own server on a free loopback port).
  if $SUDO apt-get -o DPkg::Lock::Timeout=60 update -qq &&
    $SUDO apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends \
      redis-server >/dev/null; then
    break
  fi
  if command -v redis-server >/dev/null 2>&1; then
    break
  fi
  if [ "$attempt" -eq 6 ]; then
    echo "install-test-tools: could not install redis-server" >&2
    exit 1
  fi
  echo "install-test-tools: apt-get failed (attempt $attempt), retrying in 10 s" >&2
  sleep 10
done
echo "install-test-tools: installed $(redis-server --version | head -n1)"
