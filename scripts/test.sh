#!/usr/bin/env bash
# README command (2): installs the Debian packages, builds everything, runs the unit tests
# (ctest) and then the integration tests (pytest against the real daemons on loopback,
# on ports that never collide with a running demo). Exits non-zero on any failure.
#
# Environment: MAIL_BUILD_DIR (default build), MAIL_TESTS_STRICT (default 1: a skipped
# integration test, e.g. a daemon that was not built, counts as a failure).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${MAIL_BUILD_DIR:-build}
export MAIL_BUILD_DIR=$BUILD_DIR
export MAIL_TESTS_STRICT=${MAIL_TESTS_STRICT:-1}

bash scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j2

status=0
echo "== unit tests (ctest) =="
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 || status=1

echo "== integration tests (pytest) =="
# Debian's python sees the apt-installed pytest; a python3 earlier on PATH may not.
timeout 900 /usr/bin/python3 -m pytest tests/integration -ra -p no:cacheprovider || status=1

if [ "$status" -ne 0 ]; then
  echo "test.sh: FAILED" >&2
fi
exit "$status"
