#!/bin/bash
# healthcheck.sh PROTO PORT: speaks the protocol to the daemon in this container on
# 127.0.0.1:PORT within 5 seconds per reply; exit 0 when it answers as it should.
#   smtp     220 greeting, NOOP -> 250, QUIT
#   imap     * OK greeting, NOOP -> OK, LOGOUT
#   pop3     +OK greeting, CAPA -> +OK (RFC 1939 allows NOOP only after login), QUIT
#   metrics  GET /metrics -> HTTP 200 (queued, which has no protocol port)
# Uses bash's /dev/tcp: the image needs no client tools.
set -uo pipefail
proto=${1:?protocol}
port=${2:?port}
exec 3<>"/dev/tcp/127.0.0.1/$port" || { echo "connect 127.0.0.1:$port failed"; exit 1; }

line=""
readline() {
  IFS= read -r -t 5 line <&3 || { echo "$proto: no reply"; exit 1; }
  line=${line%$'\r'}
}
# Reads reply lines until one is final (SMTP "250 " after "250-"...) and checks its start.
expect() {
  local want=$1
  while readline; do
    case "$line" in
      "$want"*) return 0 ;;
      [0-9][0-9][0-9]-* | "* "*) continue ;;
      *) echo "$proto: expected $want, got: $line"; exit 1 ;;
    esac
  done
}
send() { printf '%s\r\n' "$1" >&3; }

case "$proto" in
  smtp)
    expect "220 "
    send "NOOP"
    expect "250"
    send "QUIT"
    ;;
  imap)
    expect "* OK"
    send "h1 NOOP"
    expect "h1 OK"
    send "h2 LOGOUT"
    ;;
  pop3)
    expect "+OK"
    send "CAPA"
    expect "+OK"
    send "QUIT"
    ;;
  metrics)
    send "GET /metrics HTTP/1.0"
    send ""
    expect "HTTP/1.1 200"
    ;;
  *)
    echo "unknown protocol $proto"
    exit 2
    ;;
esac
exec 3>&-
exit 0
