#!/usr/bin/env bash
# README command (2): installs the Debian packages, then runs every test:
#   1. build (RelWithDebInfo), unit tests (ctest), integration tests (pytest against the
#      real daemons on loopback, on ports that never collide with a running demo);
#   2. the same build and both suites again under AddressSanitizer + UBSan;
#   3. every fuzz target for MAIL_FUZZ_SECONDS each, two at a time (clang, libFuzzer).
# Prints how long each stage took; the whole run must stay well under 25 minutes on two
# cores. Exits non-zero on any failure.
#
# Environment: MAIL_BUILD_DIR (default build), MAIL_TESTS_STRICT (default 1: a skipped
# integration test counts as a failure), MAIL_TEST_QUICK=1 (stage 1 only, for local
# iteration), MAIL_TEST_DOCKER=1 (also the docker-compose stack test), MAIL_FUZZ_SECONDS
# (per target, default 15; scripts/fuzz.sh alone defaults to 60).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${MAIL_BUILD_DIR:-build}
export MAIL_TESTS_STRICT=${MAIL_TESTS_STRICT:-1}

status=0
failed=()
durations=()
run_started=$SECONDS

# timed NAME COMMAND...: runs the command, records its duration under NAME.
timed() {
  local name=$1 start=$SECONDS rc=0
  shift
  "$@" || rc=$?
  durations+=("$(printf '%-28s %4ds' "$name" $((SECONDS - start)))")
  return $rc
}

timed "install-deps" bash scripts/install-deps.sh

# run_suites NAME BUILD_DIR PYTEST_MARKERS [cmake options...]: configure, build, ctest,
# pytest (only tests matching the marker expression).
run_suites() {
  local name=$1 dir=$2 markers=$3
  shift 3
  echo "== $name: build ($dir) =="
  # -g1 (line tables): enough for sanitizer and crash backtraces, and Asio's templates make
  # full debug info the larger part of compile and link time on two cores.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  timed "$name build" cmake --build "$dir" -j2
  echo "== $name: unit tests (ctest) =="
  timed "$name unit tests" ctest --test-dir "$dir" --output-on-failure -j2 ||
    { status=1; failed+=("$name ctest"); }
  echo "== $name: integration tests (pytest) =="
  # Debian's python sees the apt-installed pytest; a python3 earlier on PATH may not.
  timed "$name integration tests" env MAIL_BUILD_DIR="$dir" timeout 900 \
    /usr/bin/python3 -m pytest tests/integration -ra -p no:cacheprovider -m "$markers" ||
    { status=1; failed+=("$name pytest"); }
}

# The compose stack test builds a Debian image from scratch: opt-in (MAIL_TEST_DOCKER=1).
release_markers="not docker"
[ "${MAIL_TEST_DOCKER:-0}" = "1" ] && release_markers=""
run_suites "release" "$BUILD_DIR" "$release_markers" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"

if [ "${MAIL_TEST_QUICK:-0}" != "1" ]; then
  # Any sanitizer report ends the process, so the tests see it as a crash.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  # TLS scans (release_only) check configuration, which the sanitizers do not change.
  # -O1: the sanitizers' usual level (faster to build, clearer reports), asserts kept.
  run_suites "sanitizers" "${BUILD_DIR}-asan" "not release_only and not docker" -DMAIL_SANITIZE=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
  unset ASAN_OPTIONS UBSAN_OPTIONS

  echo "== fuzz targets =="
  timed "fuzz (build and run)" bash scripts/fuzz.sh "${MAIL_FUZZ_SECONDS:-15}" ||
    { status=1; failed+=("fuzz"); }
fi

echo "== stage durations =="
printf '%s\n' "${durations[@]}"
printf '%-28s %4ds\n' "total" $((SECONDS - run_started))

if [ "$status" -ne 0 ]; then
  echo "test.sh: FAILED: ${failed[*]}" >&2
fi
exit "$status"
