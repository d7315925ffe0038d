#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 10)
# Seeds come from tests/fuzz/corpus/<target>/ when present; new inputs go to a scratch
# corpus under build-fuzz/, never into the repository. A crash fails the script and
# leaves the reproducer (crash-*) in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
targets=(smtp_command_fuzz smtp_data_reader_fuzz smtp_params_fuzz smtp_chunk_reader_fuzz imap_parser_fuzz pop3_command_fuzz config_fuzz mime_parse_fuzz mime_decoder_fuzz store_records_fuzz sasl_plain_fuzz sasl_login_fuzz sasl_scram_fuzz sasl_scram_plus_fuzz imap_receiver_fuzz dns_rdata_fuzz imap_mailbox_name_fuzz deflate_stream_fuzz)

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DMAIL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]}" >/dev/null

status=0
for t in "${targets[@]}"; do
  bin=$(find build-fuzz -type f -name "$t" -perm -u+x | head -n1)
  corpus="build-fuzz/corpus/$t"
  mkdir -p "$corpus"
  seeds=()
  [ -d "tests/fuzz/corpus/$t" ] && seeds=("tests/fuzz/corpus/$t")
  if (cd build-fuzz && "../$bin" -max_total_time="$seconds" -print_final_stats=1 \
        "../$corpus" "${seeds[@]/#/../}" >"$t.log" 2>&1); then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$t.log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $t: ok, $runs runs in ${seconds}s"
  else
    echo "fuzz $t: FAILED (see build-fuzz/$t.log)"
    tail -n 30 "build-fuzz/$t.log"
    status=1
  fi
done
exit $status
