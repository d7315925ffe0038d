#!/usr/bin/env bash
# Benchmark: relay throughput to smtp-sink (20 destination domains), ours against a private
# Postfix instance in the same run, printed as a ratio, plus queued's memory per message
# held in the queue and the drain time of a held queue. Appends its tables to
# bench/results/relay_throughput-YYYY-MM-DD.md. All the work is in relay_throughput.py.
#
# Usage: bench/relay_throughput.sh        (as root: Postfix's master needs it; bench/README.md)
# Environment: MAIL_BUILD_DIR (default build-bench, falling back to build), BENCH_MESSAGES
# (3000), BENCH_HELD (2000), BENCH_SIZE (4096), BENCH_SESSIONS (10), BENCH_REPEAT (2
# rounds), BENCH_TIMEOUT (120 s per wait), BENCH_SETTLE (5 s), BENCH_KEEP=1 (keep the work
# directory with the daemons' logs), BENCH_WORK_PARENT (/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${MAIL_BUILD_DIR:-} ]]; then
  MAIL_BUILD_DIR=$PWD/build-bench
  [[ -x $MAIL_BUILD_DIR/queued/queued ]] || MAIL_BUILD_DIR=$PWD/build
fi
export MAIL_BUILD_DIR
[[ $(id -u) -eq 0 ]] || { echo "relay_throughput: run as root (Postfix needs it)" >&2; exit 1; }
for tool in /usr/sbin/smtp-sink /usr/sbin/postfix /usr/sbin/postqueue; do
  [[ -x $tool ]] || { echo "relay_throughput: $tool missing (apt-get install postfix)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import dnslib' 2>/dev/null ||
  { echo "relay_throughput: python3-dnslib missing (tests/dns/dns_server.py needs it)" >&2; exit 1; }
exec /usr/bin/python3 bench/relay_throughput.py "$@"
