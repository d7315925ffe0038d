#!/usr/bin/env bash
# README command (1): installs the packages, builds the suite and runs it in the
# foreground on loopback, with a demo domain and two accounts, so any mail client on this
# machine can connect. Ctrl-C stops every daemon it started (by PID) and waits for them.
#
# Everything lives in ./demo (config.toml, tls/, data/) and is reused by the next run.
# Trusts nothing from outside; the demo passwords are fixed and printed: loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

BUILD_DIR=${MAIL_BUILD_DIR:-build}
DEMO=$ROOT/demo
CONFIG=$DEMO/config.toml
DOMAIN=example.test
declare -A PASSWORDS=([alice@$DOMAIN]=alice-demo-pw [bob@$DOMAIN]=bob-demo-pw)
DAEMONS=(queued smtpd imapd pop3d)
declare -A BINARY=(
  [smtpd]=$BUILD_DIR/smtpd/smtpd [queued]=$BUILD_DIR/queued/queued
  [imapd]=$BUILD_DIR/imapd/imapd [pop3d]=$BUILD_DIR/pop3d/pop3d
  [mailctl]=$BUILD_DIR/ctl/mailctl
)

bash scripts/install-deps.sh
# The five programs only (scripts/test.sh builds the tests), as a unity build with
# Boost.Asio precompiled, as docker/Dockerfile builds them: about 3 minutes on two cores
# from nothing, against about 20 for every target one source at a time.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=ON \
  -DMAIL_ASIO_PCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j2 --target "${DAEMONS[@]}" mailctl

for name in "${DAEMONS[@]}" mailctl; do
  if [ ! -x "${BINARY[$name]}" ]; then
    echo "demo: ${BINARY[$name]} was not built" >&2
    exit 1
  fi
done

mkdir -p "$DEMO/data"
bash scripts/gen-cert.sh "$DEMO/tls"

if [ ! -f "$CONFIG" ]; then
  cat >"$CONFIG" <<'TOML'
# Demo configuration (written by scripts/demo.sh; edit freely, it is kept across runs).
# Relative paths are relative to this file's folder. Keys: docs/config.md.
[server]
hostname = "localhost"
data_dir = "data"

[tls]
cert_file = "tls/cert.pem"
key_file = "tls/key.pem"

[smtpd]
listen = "127.0.0.1:2525"
submission_listen = "127.0.0.1:2587"
submissions_listen = "127.0.0.1:2465"

[imapd]
listen = "127.0.0.1:2143"
tls_listen = "127.0.0.1:2993"
allow_plaintext_auth_on_loopback = true

[pop3d]
listen = "127.0.0.1:2110"
tls_listen = "127.0.0.1:2995"
allow_plaintext_auth_on_loopback = true
TOML
  echo "demo: wrote $CONFIG"
else
  echo "demo: using existing $CONFIG"
fi

# Privileges (docs/security.md): started as root, the daemons bind their ports and then
# run as the `mail` user (server.user), which must be able to reach demo/. Not root, they
# keep the current user. A checkout the mail user cannot reach (under /root, mode 0700)
# keeps root instead, which the config must then allow explicitly.
if [ "$(id -u)" -eq 0 ] && ! grep -qE '^[[:space:]]*(user|allow_root)[[:space:]]*=' "$CONFIG"; then
  if ! runuser -u mail -- test -x "$DEMO" 2>/dev/null; then
    sed -i '/^\[server\]$/a # demo: the mail user cannot reach this folder, so the daemons keep root\nuser = ""\nallow_root = true' "$CONFIG"
    echo "demo: the mail user cannot reach $DEMO; the daemons will run as root (see $CONFIG)"
  fi
fi

mailctl() { "${BINARY[mailctl]}" --config "$CONFIG" "$@"; }

if ! mailctl domain list | grep -qx "$DOMAIN"; then
  mailctl domain add "$DOMAIN"
fi
existing_users=$(mailctl user list)
for user in "${!PASSWORDS[@]}"; do
  if ! grep -qiF "$user" <<<"$existing_users"; then
    printf '%s\n' "${PASSWORDS[$user]}" | mailctl user add "$user"
  fi
done

# Each daemon runs in its own session (setsid) so the terminal's Ctrl-C reaches only this
# script, which then stops them in order. The log prefixer ignores INT/TERM so that it
# outlives the daemons and they never write into a closed pipe while shutting down.
declare -A PIDS=()
start() {
  local name=$1
  setsid "${BINARY[$name]}" --config "$CONFIG" \
    > >(trap '' INT TERM; exec sed -u "s/^/[$name] /") 2>&1 </dev/null &
  PIDS[$name]=$!
}

stopping=0
failed=0
stop_all() {
  [ "$stopping" -eq 1 ] && return
  stopping=1
  # Whatever happens to our own output now (a pipe reader killed by the same Ctrl-C),
  # the daemons must still be stopped and waited for.
  trap '' PIPE
  set +e
  echo
  echo "demo: stopping daemons"
  local status=$failed name
  for name in pop3d imapd smtpd queued; do
    [ -n "${PIDS[$name]:-}" ] && kill -TERM "${PIDS[$name]}" 2>/dev/null || true
  done
  for name in pop3d imapd smtpd queued; do
    [ -n "${PIDS[$name]:-}" ] || continue
    if wait "${PIDS[$name]}"; then
      echo "demo: $name (pid ${PIDS[$name]}) stopped"
    else
      local code=$?
      echo "demo: $name (pid ${PIDS[$name]}) exited with status $code" >&2
      status=1
    fi
  done
  exit "$status"
}
trap stop_all INT TERM

for name in "${DAEMONS[@]}"; do
  start "$name"
done

# Wait until the ports answer (or a daemon died).
for port in 2525 2143 2110; do
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
done

cat <<EOF

==================================================================================
 Mail suite demo running on 127.0.0.1 (host name: localhost).

   SMTP (MX, inbound, no auth)       127.0.0.1:2525   STARTTLS optional
   SMTP submission                   127.0.0.1:2587   STARTTLS, then AUTH (PLAIN, LOGIN, SCRAM)
   SMTP submissions                  127.0.0.1:2465   implicit TLS, AUTH (PLAIN, LOGIN, SCRAM)
   IMAP                              127.0.0.1:2143   STARTTLS optional on loopback
   IMAPS                             127.0.0.1:2993   implicit TLS
   POP3                              127.0.0.1:2110   STLS optional on loopback
   POP3S                             127.0.0.1:2995   implicit TLS

 TLS: self-signed certificate for localhost / 127.0.0.1 in demo/tls/cert.pem;
      accept it in your client (or trust that file). Plain passwords are allowed
      without TLS only from loopback, for simple clients.

 Accounts (user name = full address):
   alice@$DOMAIN   password: ${PASSWORDS[alice@$DOMAIN]}
   bob@$DOMAIN     password: ${PASSWORDS[bob@$DOMAIN]}

 Sending: your client submits on 2587 (STARTTLS) or 2465 with the account's password.
 Try:  swaks --server 127.0.0.1 --port 2587 -tls --auth PLAIN --auth-user alice@$DOMAIN \
         --auth-password ${PASSWORDS[alice@$DOMAIN]} --from alice@$DOMAIN --to bob@$DOMAIN
       curl -u alice@$DOMAIN:${PASSWORDS[alice@$DOMAIN]} 'imap://127.0.0.1:2143/INBOX;UID=1'
 Data: demo/data (kept across runs).  Ctrl-C stops everything.
==================================================================================

EOF

# Run until Ctrl-C/SIGTERM (the trap) or until one daemon exits on its own.
while true; do
  set +e
  wait -n "${PIDS[@]}"
  set -e
  [ "$stopping" -eq 1 ] && break
  for name in "${DAEMONS[@]}"; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      echo "demo: $name exited unexpectedly; stopping the others" >&2
      unset "PIDS[$name]"
      failed=1
      stop_all
    fi
  done
done
