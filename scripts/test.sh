#!/usr/bin/env bash
# README command (2): installs the Debian packages, then runs every test:
#   1. build (RelWithDebInfo), unit tests (ctest), integration tests (pytest against the
#      real daemons on loopback, on ports that never collide with a running demo);
#   2. the same build and both suites again under AddressSanitizer + UBSan;
#   3. every fuzz target for a bounded time (clang, libFuzzer).
# Exits non-zero on any failure.
#
# Environment: MAIL_BUILD_DIR (default build), MAIL_TESTS_STRICT (default 1: a skipped
# integration test counts as a failure), MAIL_TEST_QUICK=1 (stage 1 only, for local
# iteration), MAIL_FUZZ_SECONDS (per target, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${MAIL_BUILD_DIR:-build}
export MAIL_TESTS_STRICT=${MAIL_TESTS_STRICT:-1}

bash scripts/install-deps.sh

status=0
failed=()

# run_suites NAME BUILD_DIR [cmake options...]: configure, build, ctest, pytest.
run_suites() {
  local name=$1 dir=$2
  shift 2
  echo "== $name: build ($dir) =="
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j2
  echo "== $name: unit tests (ctest) =="
  ctest --test-dir "$dir" --output-on-failure -j2 || { status=1; failed+=("$name ctest"); }
  echo "== $name: integration tests (pytest) =="
  # Debian's python sees the apt-installed pytest; a python3 earlier on PATH may not.
  MAIL_BUILD_DIR=$dir timeout 900 /usr/bin/python3 -m pytest tests/integration -ra -p no:cacheprovider ||
    { status=1; failed+=("$name pytest"); }
}

run_suites "release" "$BUILD_DIR"

if [ "${MAIL_TEST_QUICK:-0}" != "1" ]; then
  # Any sanitizer report ends the process, so the tests see it as a crash.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  run_suites "sanitizers" "${BUILD_DIR}-asan" -DMAIL_SANITIZE=ON
  unset ASAN_OPTIONS UBSAN_OPTIONS

  echo "== fuzz targets =="
  bash scripts/fuzz.sh "${MAIL_FUZZ_SECONDS:-10}" || { status=1; failed+=("fuzz"); }
fi

if [ "$status" -ne 0 ]; then
  echo "test.sh: FAILED: ${failed[*]}" >&2
fi
exit "$status"
