#!/usr/bin/env bash
# README command (2): installs the Debian packages, then runs every test:
#   1. under AddressSanitizer + UBSan (clang -O1, a unity build): build everything, the
#      libFuzzer targets included; unit tests (ctest); integration tests (pytest against the
#      real daemons on loopback, on ports that never collide with a running demo; two
#      pytest-xdist workers, one suite each);
#   2. the release programs (g++ -O2, as shipped), compiled by docker/Dockerfile's build
#      stage and copied out of the image (on a machine without Docker, built here): the
#      checks that only mean something there (testssl, and the hostile-client tests, whose
#      RSS bounds ASan's redzones and quarantine would blur);
#   3. the docker-compose stack (docker/test-stack.sh through tests/integration/test_docker.py):
#      that image, the stack up as a user runs it, mail through the published ports;
#   4. every fuzz target for MAIL_FUZZ_SECONDS each, five at a time, at the lowest CPU
#      priority beside the tests of stages 1-3.
# Prints how long each stage took; the whole run must stay well inside CI's time on two
# cores. Exits non-zero on any failure.
#
# Environment: MAIL_BUILD_DIR (build folder, default build; the sanitizer build goes to
# its -asan sibling, the image's programs to its -image sibling), MAIL_TESTS_STRICT
# (default 1: a skipped integration test counts as a failure), MAIL_TEST_QUICK=1 (the
# release build with every unit and integration test, nothing else: local iteration),
# MAIL_TEST_DOCKER (default 1, with MAIL_TEST_QUICK=1 default 0: the docker-compose stack
# test), MAIL_FUZZ_SECONDS (per target, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${MAIL_BUILD_DIR:-build}
# One locale whatever the machine's: ccache hashes it, and docker/Dockerfile's build stage
# uses this one (see the release stage below).
export LANG=C.UTF-8
unset LC_ALL LC_CTYPE LC_MESSAGES
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

test_docker=${MAIL_TEST_DOCKER:-1}
[ "${MAIL_TEST_QUICK:-0}" = "1" ] && test_docker=${MAIL_TEST_DOCKER:-0}
deps_mode=()
# The mirror's current packages, as the image's build stage gets them: the release stage
# runs the image's programs here, linked against those libraries.
[ "$test_docker" = "1" ] && [ "${MAIL_TEST_QUICK:-0}" != "1" ] && deps_mode=(--current)
timed "install-deps" bash scripts/install-deps.sh "${deps_mode[@]}"

# build NAME DIR TARGETS CMAKE_OPTIONS...: configure and build (TARGETS "all" or a list).
build() {
  local name=$1 dir=$2 targets=$3
  shift 3
  echo "== $name: build ($dir) =="
  # -g1 (line tables): enough for sanitizer and crash backtraces, and Asio's templates make
  # full debug info the larger part of compile and link time on two cores.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  # shellcheck disable=SC2086
  timed "$name build" cmake --build "$dir" -j2 --target $targets
}

unit_tests() {
  echo "== $1: unit tests (ctest) =="
  timed "$1 unit tests" ctest --test-dir "$2" --output-on-failure -j2 ||
    { status=1; failed+=("$1 ctest"); }
}

# integration_tests NAME DIR PYTEST_ARGS...
integration_tests() {
  local name=$1 dir=$2
  shift 2
  echo "== $name: integration tests (pytest) =="
  # Debian's python sees the apt-installed pytest; a python3 earlier on PATH may not.
  timed "$name integration tests" env MAIL_BUILD_DIR="$dir" timeout 1200 \
    /usr/bin/python3 -m pytest -ra -p no:cacheprovider "$@" ||
    { status=1; failed+=("$name pytest"); }
}

# The flags docker/Dockerfile's build stage uses too (its CXX_FLAGS).
release_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")

if [ "${MAIL_TEST_QUICK:-0}" = "1" ]; then
  # The compose stack test builds a Debian image: opt-in here (MAIL_TEST_DOCKER=1).
  docker_marker="not docker"
  [ "$test_docker" = "1" ] && docker_marker="docker or not docker"
  build "release" "$BUILD_DIR" all "${release_flags[@]}"
  unit_tests "release" "$BUILD_DIR"
  integration_tests "release" "$BUILD_DIR" tests/integration -m "$docker_marker"
else
  # Any sanitizer report ends the process, so the tests see it as a crash. -O1: the
  # sanitizers' usual level, asserts kept. clang, and a unity build (CMake compiles each
  # target's sources eight to a file) with Boost.Asio precompiled: the Asio and GoogleTest
  # templates every source instantiates are compiled once per eight sources. With the fuzz
  # targets this takes 441 s on two cores, against 1,133 s for g++'s sanitizer build and
  # clang's fuzz build apart; its tests run in half g++'s time too.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  asan_dir=$BUILD_DIR-asan
  build "sanitizers" "$asan_dir" all -DCMAKE_CXX_COMPILER=clang++ -DMAIL_SANITIZE=ON \
    -DMAIL_FUZZ=ON -DMAIL_ASIO_PCH=ON -DCMAKE_UNITY_BUILD=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"

  # The programs as shipped: the image's (docker/Dockerfile compiles them, unity, -O2),
  # which the release stage tests and the docker stage then runs; without Docker, the
  # same build here.
  release_dir=""
  if [ "$test_docker" = "1" ]; then
    rm -rf "$BUILD_DIR-image"
    timed "release build (image)" docker/test-stack.sh --programs "$BUILD_DIR-image" &&
      release_dir=$BUILD_DIR-image
  fi
  if [ -z "$release_dir" ]; then
    release_dir=$BUILD_DIR
    build "release" "$release_dir" "smtpd queued imapd pop3d mailctl" "${release_flags[@]}" \
      -DCMAKE_UNITY_BUILD=ON -DMAIL_ASIO_PCH=ON
  fi

  # Every build done, the fuzz targets run at the lowest CPU priority while the tests,
  # the integration tests mostly waiting on sockets and timers, leave the CPU idle:
  # together they take about the tests' time instead of the sum of both. Five at a time:
  # each runs its MAIL_FUZZ_SECONDS, six rounds of 60 s for the 26 targets, about as long
  # as the tests' stages.
  echo "== fuzz targets: run beside the tests =="
  fuzz_started=$SECONDS
  (unset ASAN_OPTIONS UBSAN_OPTIONS
   export MAIL_FUZZ_JOBS=${MAIL_FUZZ_JOBS:-5}
   export MAIL_FUZZ_BUILD_DIR=$asan_dir
   mkdir -p build-fuzz
   exec nice -n 19 bash scripts/fuzz.sh run "${MAIL_FUZZ_SECONDS:-60}" >build-fuzz/run.log 2>&1) &
  fuzz_pid=$!

  unit_tests "sanitizers" "$asan_dir"

  # Two workers, each with its own suite of daemons (tests/integration/conftest.py), a test
  # file's tests on one worker in their order. The release stage's hostile tests, which
  # time a well-behaved client beside the attack, run alone.
  integration_tests "sanitizers" "$asan_dir" tests/integration \
    -m "not release_only and not docker" -n 2 --dist loadfile
  unset ASAN_OPTIONS UBSAN_OPTIONS
  integration_tests "release" "$release_dir" tests/integration/test_hostile_*.py \
    tests/integration/test_testssl.py
  if [ "$test_docker" = "1" ]; then
    integration_tests "docker stack" "$release_dir" tests/integration/test_docker.py -m docker
  fi

  fuzz_rc=0
  wait "$fuzz_pid" || fuzz_rc=$?
  cat build-fuzz/run.log
  durations+=("$(printf '%-28s %4ds' "fuzz run (beside tests)" $((SECONDS - fuzz_started)))")
  [ "$fuzz_rc" -eq 0 ] || { status=1; failed+=("fuzz"); }
fi

echo "== stage durations =="
printf '%s\n' "${durations[@]}"
printf '%-28s %4ds\n' "total" $((SECONDS - run_started))

if [ "$status" -ne 0 ]; then
  echo "test.sh: FAILED: ${failed[*]}" >&2
fi
exit "$status"
