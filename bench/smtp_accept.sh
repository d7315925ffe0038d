#!/usr/bin/env bash
# Benchmark: SMTP acceptance and delivery throughput of our suite (smtpd -> queued -> store,
# polled over imapd) against Postfix -> LMTP -> Dovecot (the peers harness), measured in
# the same run, alternating ours and theirs per row. Prints a Markdown table with the
# ratios ours/postfix and writes it to bench/results/smtp_accept-YYYY-MM-DD.{md,csv}.
#
# Usage: bench/smtp_accept.sh            (as root: the peers need it; see bench/README.md)
# Environment: MAIL_BUILD_DIR (default build-bench, falling back to build), PEERS_RUN
# (peers' state, default ${TMPDIR:-/tmp}/peers), BENCH_MESSAGES (2000), BENCH_SIZE (4096),
# BENCH_SESSIONS ("1 10 50"), BENCH_TIMEOUT (seconds per measurement, 300), BENCH_KEEP=1
# (keep the temporary data directory and daemon logs), BENCH_REPEAT (1: rounds over all
# rows; the table shows the best round of each system, since load from other processes
# only ever slows a run down).
#
# Trusts the build and the peers' scripts; trusts the servers for nothing (every wait has
# a deadline). Starts our daemons from a temporary data directory on their own ports
# (22xxx) and stops them by PID; stops the peers at the end only if it started them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH=$ROOT/bench
PEERS=${PEERS_DIR:-$ROOT/../shared/peers}  # the shared folder beside the checkout
PY=/usr/bin/python3
HELPER=$BENCH/smtp_accept_run.py

BUILD_DIR=${MAIL_BUILD_DIR:-}
if [[ -z $BUILD_DIR ]]; then
  BUILD_DIR=$ROOT/build-bench
  [[ -x $BUILD_DIR/smtpd/smtpd ]] || BUILD_DIR=$ROOT/build
fi
MESSAGES=${BENCH_MESSAGES:-2000}
SIZE=${BENCH_SIZE:-4096}
SESSIONS=${BENCH_SESSIONS:-"1 10 50"}
RUN_TIMEOUT=${BENCH_TIMEOUT:-300}
REPEAT=${BENCH_REPEAT:-1}
export PEERS_RUN=${PEERS_RUN:-${TMPDIR:-/tmp}/peers}
PEERS_PASS=secret
PEER_SMTP=127.0.0.1:12525
PEER_IMAP=12143
OUR_SMTP_PORT=22525
OUR_IMAP_PORT=22143
OUR_POP3_PORT=22110
OUR_SUBMISSION_PORT=22587
OUR_PASS=bench-pw
DOMAIN=example.test

for b in smtpd/smtpd queued/queued imapd/imapd ctl/mailctl; do
  [[ -x $BUILD_DIR/$b ]] || { echo "smtp_accept: $BUILD_DIR/$b not built" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "smtp_accept: run as root (the peers need it)" >&2; exit 1; }
for p in $OUR_SMTP_PORT $OUR_IMAP_PORT $OUR_POP3_PORT $OUR_SUBMISSION_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "smtp_accept: port $p is already in use" >&2
    exit 1
  fi
done

# --- clean-up: only what this script started --------------------------------------------
declare -A PIDS=()
WORK=""
PEERS_STARTED=0
cleanup() {
  local status=$?
  set +e
  trap '' INT TERM
  for name in imapd smtpd queued; do
    [[ -n ${PIDS[$name]:-} ]] && kill -TERM "${PIDS[$name]}" 2>/dev/null
  done
  for name in imapd smtpd queued; do
    [[ -n ${PIDS[$name]:-} ]] || continue
    for _ in $(seq 150); do kill -0 "${PIDS[$name]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${PIDS[$name]}" 2>/dev/null; then
      echo "smtp_accept: $name (pid ${PIDS[$name]}) ignored SIGTERM for 15 s; SIGKILL" >&2
      kill -KILL "${PIDS[$name]}"
    fi
    wait "${PIDS[$name]}" 2>/dev/null
  done
  if ((PEERS_STARTED)); then timeout 60 "$PEERS/stop.sh" >/dev/null; fi
  if [[ -n $WORK ]]; then
    if ((status == 0)) && [[ -z ${BENCH_KEEP:-} ]]; then rm -rf "$WORK"; else echo "smtp_accept: kept $WORK (logs)" >&2; fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the peers -----------------------------------------------------------------------------
peer_pidfile=$PEERS_RUN/postfix/queue/pid/master.pid
if [[ -s $peer_pidfile ]] && grep -qa master "/proc/$(head -1 "$peer_pidfile" | tr -dc 0-9)/cmdline" 2>/dev/null; then
  echo "smtp_accept: peers already running; they are left running at the end"
else
  PEERS_STARTED=1
fi
timeout 600 "$PEERS/start.sh" | sed 's/^/peers: /'
[[ -x /usr/sbin/smtp-source ]] || { echo "smtp_accept: /usr/sbin/smtp-source missing" >&2; exit 1; }

# --- our suite: temporary data dir on the same file system as the peers' state ------------
mkdir -p "$(dirname "$PEERS_RUN")"
WORK=$(mktemp -d "$(dirname "$PEERS_RUN")/bench-smtp.XXXXXX")
# The daemons drop root to the configured user, who must reach data_dir (mktemp makes 0700).
chmod 0755 "$WORK"
if [[ $(stat -c %d "$WORK") != $(stat -c %d "$PEERS_RUN") ]]; then
  echo "smtp_accept: warning: $WORK and $PEERS_RUN are on different file systems (fsync costs differ)" >&2
fi
FSTYPE=$(df --output=fstype "$WORK" | tail -1 | tr -d " ")
CONFIG=$WORK/config.toml
cat >"$CONFIG" <<TOML
# smtp_accept benchmark config (generated). Defaults everywhere except ports and paths.
[server]
hostname = "mail.example.test"
data_dir = "$WORK/data"

[smtpd]
listen = "127.0.0.1:$OUR_SMTP_PORT"
submission_listen = "127.0.0.1:$OUR_SUBMISSION_PORT"
# All load comes from 127.0.0.1: lift the per-address limit (default 50), which counts a
# closing session until it is gone and so refused some of smtp-source's 50 new connections.
max_connections_per_ip = 1000
submissions_listen = ""

[imapd]
listen = "127.0.0.1:$OUR_IMAP_PORT"
tls_listen = ""
allow_plaintext_auth_on_loopback = true

[pop3d]
listen = "127.0.0.1:$OUR_POP3_PORT"
tls_listen = ""
TOML
mkdir -p "$WORK/data"
mailctl() { timeout 60 "$BUILD_DIR/ctl/mailctl" --config "$CONFIG" "$@"; }
mailctl domain add "$DOMAIN" >/dev/null
# One fresh account per measured row (an empty INBOX each time), plus one for warm-up.
ROWS=()
for s in $SESSIONS; do ROWS+=("s$s"); done
ROWS+=("s50d")
for i in $(seq 0 $((${#ROWS[@]} * REPEAT))); do
  echo "$OUR_PASS" | mailctl user add "bob$i@$DOMAIN" >/dev/null
done

start_daemon() { # name port-or-path
  local name=$1 what=$2
  "$BUILD_DIR/$name/$name" --config "$CONFIG" >"$WORK/$name.log" 2>&1 </dev/null &
  PIDS[$name]=$!
  for _ in $(seq 150); do
    kill -0 "${PIDS[$name]}" 2>/dev/null || { echo "smtp_accept: $name died:" >&2; tail "$WORK/$name.log" >&2; exit 1; }
    if [[ $what == /* ]]; then [[ -S $what ]] && return 0
    else (exec 3<>"/dev/tcp/127.0.0.1/$what") 2>/dev/null && return 0; fi
    sleep 0.1
  done
  echo "smtp_accept: $name not ready after 15 s" >&2
  exit 1
}
start_daemon queued "$WORK/data/queued.sock"
start_daemon smtpd $OUR_SMTP_PORT
start_daemon imapd $OUR_IMAP_PORT
echo "ours: queued ${PIDS[queued]}, smtpd ${PIDS[smtpd]}, imapd ${PIDS[imapd]} on 127.0.0.1:$OUR_SMTP_PORT/$OUR_IMAP_PORT, data $WORK/data ($FSTYPE)"

doveadm_clear_bob() {
  timeout 60 doveadm -c "$PEERS_RUN/conf/dovecot/dovecot.conf" expunge -u bob mailbox INBOX all
}
alive_check() {
  for name in queued smtpd imapd; do
    kill -0 "${PIDS[$name]}" 2>/dev/null && continue
    echo "smtp_accept: $name died; log tail:" >&2
    tail -20 "$WORK/$name.log" >&2
    exit 1
  done
}

# --- measurements --------------------------------------------------------------------------
DATE=$(date +%F)
mkdir -p "$BENCH/results"
CSV=$BENCH/results/smtp_accept-$DATE.csv
MD=$BENCH/results/smtp_accept-$DATE.md
echo "date,workload,system,sessions,reuse,messages,size,accept_s,accept_msgs,deliver_s,deliver_msgs,delivered,source_rc,note" >"$CSV"

measure() { # system workload sessions reuse(0/1) account-index
  local system=$1 workload=$2 sessions=$3 reuse=$4 idx=$5 json
  local args=(run --sessions "$sessions" --count "$MESSAGES" --size "$SIZE" --timeout "$RUN_TIMEOUT")
  ((reuse)) && args+=(--reuse)
  if [[ $system == ours ]]; then
    args+=(--smtp "127.0.0.1:$OUR_SMTP_PORT" --imap-port "$OUR_IMAP_PORT" --user "bob$idx@$DOMAIN"
      --password "$OUR_PASS" --rcpt "bob$idx@$DOMAIN")
  else
    doveadm_clear_bob
    args+=(--smtp "$PEER_SMTP" --imap-port "$PEER_IMAP" --user bob --password "$PEERS_PASS"
      --rcpt "bob@$DOMAIN")
  fi
  sync
  sleep 1 # let writeback from the previous run settle
  json=$(timeout $((RUN_TIMEOUT + 60)) "$PY" "$HELPER" "${args[@]}" 2>"$WORK/helper.err") || true
  [[ $system == ours ]] && alive_check
  "$PY" "$HELPER" record --csv "$CSV" --json "${json:-}" --date "$DATE" --workload="$workload" \
    --system "$system" --sessions "$sessions" --reuse "$reuse" --messages "$MESSAGES" --size "$SIZE"
}

# Warm-up (not measured): a few messages into each system, so that first-use costs
# (page cache, process start-up, LMDB map growth) do not land on the first row.
echo "warm-up..."
"$PY" "$HELPER" run --smtp "127.0.0.1:$OUR_SMTP_PORT" --imap-port $OUR_IMAP_PORT --user "bob0@$DOMAIN" \
  --password "$OUR_PASS" --rcpt "bob0@$DOMAIN" --sessions 5 --count 100 --size "$SIZE" --timeout 60 >/dev/null
doveadm_clear_bob
"$PY" "$HELPER" run --smtp "$PEER_SMTP" --imap-port $PEER_IMAP --user bob --password "$PEERS_PASS" \
  --rcpt "bob@$DOMAIN" --sessions 5 --count 100 --size "$SIZE" --timeout 60 >/dev/null

echo "measuring: $MESSAGES messages of $SIZE bytes per row, $REPEAT round(s); ours and postfix alternate"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
account=0
for round in $(seq "$REPEAT"); do
  i=0
  for row in "${ROWS[@]}"; do
    i=$((i + 1))
    account=$((account + 1))
    sessions=${row#s}
    sessions=${sessions%d}
    reuse=0
    workload="-s $sessions, new connection per message"
    if [[ $row == *d ]]; then reuse=1; workload="-s $sessions -d, connection reuse"; fi
    # Alternate which system goes first, so that neither always runs on a warmer machine.
    if (((i + round) % 2)); then order=(postfix ours); else order=(ours postfix); fi
    for system in "${order[@]}"; do measure "$system" "$workload" "$sessions" "$reuse" "$account"; done
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
doveadm_clear_bob

# --- report --------------------------------------------------------------------------------
{
  echo "# SMTP acceptance and delivery: ours vs Postfix+Dovecot ($DATE)"
  echo
  echo "$MESSAGES messages of $SIZE bytes to one recipient, sent by /usr/sbin/smtp-source on"
  echo "127.0.0.1. Acceptance: until smtp-source returns (every message got its 250 after the"
  echo "server's fsync). Delivery: from the start until IMAP STATUS shows all messages in the"
  echo "recipient's INBOX. msg/s = messages / seconds; ratio > 1 means ours is faster."
  echo
  "$PY" "$HELPER" table "$CSV"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "$(uname -r); data on $FSTYPE (ours $WORK, peers $PEERS_RUN, same file system)."
  echo "The load generator (smtp-source) and the IMAP poller share the $(nproc) cores with the servers."
  echo "Load average before/after the measurements: $LOAD_BEFORE / $LOAD_AFTER (other processes on"
  echo "the machine slow both systems; ratios from one run are more stable than the absolute figures)."
  echo "Rounds: $REPEAT (with more than one, each cell is that system's best round)."
  echo "Peers: Postfix $(postconf -dh mail_version 2>/dev/null) + Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1); ours: binaries in $BUILD_DIR (repository HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) at run time)."
} >"$MD"
echo
cat "$MD"
echo
echo "written: $MD, $CSV"
