#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs every one for a bounded time,
# MAIL_FUZZ_JOBS at a time (default 2, one per core of the CI machine).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default: MAIL_FUZZ_SECONDS, else 60)
#   scripts/fuzz.sh build                  only build them
#   scripts/fuzz.sh run [SECONDS]          only run them (built before)
# scripts/test.sh builds first, then runs them at the lowest CPU priority beside the
# integration tests, which leave most of the CPU idle while they wait on sockets.
# Each target starts from its seed corpus in tests/fuzz/corpus/<target>/ (small,
# meaningful inputs kept in the repository); inputs it finds go to a scratch corpus
# under build-fuzz/corpus/, never into the repository. A crash fails the script and
# leaves the reproducer (crash-*) in build-fuzz/ and the log in build-fuzz/<target>.log.
#
# Adding a target: one line in `targets` below (and its seeds in tests/fuzz/corpus/).
#
# MAIL_FUZZ_BUILD_DIR: where `run` finds the targets (default build-fuzz, where `build`
# puts them); scripts/test.sh's sanitizer build includes them. Logs, results and the
# scratch corpus stay in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=all
case "${1:-}" in
  build | run) mode=$1; shift ;;
esac
seconds="${1:-${MAIL_FUZZ_SECONDS:-60}}"
jobs="${MAIL_FUZZ_JOBS:-2}"
targets=(
  smtp_command_fuzz
  smtp_data_reader_fuzz
  smtp_params_fuzz
  smtp_chunk_reader_fuzz
  smtp_submission_header_fuzz
  imap_parser_fuzz
  pop3_command_fuzz
  config_fuzz
  mime_parse_fuzz
  mime_decoder_fuzz
  store_records_fuzz
  sasl_plain_fuzz
  sasl_login_fuzz
  sasl_scram_fuzz
  sasl_scram_plus_fuzz
  imap_receiver_fuzz
  dns_rdata_fuzz
  imap_mailbox_name_fuzz
  deflate_stream_fuzz
  http_request_fuzz
  relay_reply_fuzz
  mailauth_canon_fuzz
  mailauth_authres_fuzz
  imap_search_fuzz
  ctl_dns_check_fuzz
  imap_url_fuzz
)

started=$SECONDS
if [ "$mode" != run ]; then
  # A unity build, as the sanitizer build of scripts/test.sh: each target's sources are
  # compiled a few to a file.
  cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DMAIL_FUZZ=ON -DCMAKE_UNITY_BUILD=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j2 --target "${targets[@]}" >/dev/null
  echo "fuzz: built ${#targets[@]} targets in $((SECONDS - started))s"
  [ "$mode" = build ] && exit 0
fi
echo "fuzz: ${seconds}s each, ${jobs} at a time"
mkdir -p build-fuzz
bin_dir=$(realpath "${MAIL_FUZZ_BUILD_DIR:-build-fuzz}")

# run_target NAME: runs one target for $seconds; its verdict goes to build-fuzz/NAME.result.
run_target() {
  local t=$1 bin corpus seeds=()
  bin=$(find "$bin_dir" -type f -name "$t" -perm -u+x | head -n1)
  if [ -z "$bin" ]; then
    echo "fuzz $t: FAILED (not built)" >"build-fuzz/$t.result"
    return 1
  fi
  corpus="build-fuzz/corpus/$t"
  mkdir -p "$corpus"
  if [ -d "tests/fuzz/corpus/$t" ]; then
    seeds=("../tests/fuzz/corpus/$t")
  else
    echo "fuzz $t: warning: no seed corpus in tests/fuzz/corpus/$t" >&2
  fi
  # -timeout: one input taking this long is a hang, reported like a crash.
  if (cd build-fuzz && "$bin" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
        -artifact_prefix="./$t-" "../$corpus" "${seeds[@]}" >"$t.log" 2>&1); then
    local runs cov
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$t.log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "build-fuzz/$t.log" | tail -n1 | grep -o '[0-9]*' || echo "?")
    echo "fuzz $t: ok, $runs runs in ${seconds}s, coverage $cov" >"build-fuzz/$t.result"
  else
    echo "fuzz $t: FAILED (see build-fuzz/$t.log)" >"build-fuzz/$t.result"
    return 1
  fi
}

run_started=$SECONDS
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  rm -f "build-fuzz/$t.result"
  run_target "$t" &
  running=$((running + 1))
done
wait || true

status=0
for t in "${targets[@]}"; do
  if [ -f "build-fuzz/$t.result" ]; then
    cat "build-fuzz/$t.result"
  else
    echo "fuzz $t: FAILED (no result)"
  fi
  if ! grep -q ': ok,' "build-fuzz/$t.result" 2>/dev/null; then
    status=1
    [ -f "build-fuzz/$t.log" ] && tail -n 30 "build-fuzz/$t.log"
  fi
done
echo "fuzz: ran ${#targets[@]} targets in $((SECONDS - run_started))s (total $((SECONDS - started))s)"
exit $status
