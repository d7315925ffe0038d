#!/bin/bash
# The image's entrypoint. The first argument names what to run:
#   smtpd | queued | imapd | pop3d   the daemon, exec'd: it becomes the container's main
#                                    process and receives docker's SIGTERM (graceful stop)
#                                    and SIGHUP (reload) itself
#   init                             the one-shot set-up (init.sh)
#   mailctl ARGS...                  administration (also: docker-compose exec SERVICE mailctl)
#   health PROTO PORT                the protocol healthcheck (healthcheck.sh)
# Configuration: $MAIL_CONFIG (/etc/mail/mail.toml) and MAIL_<SECTION>_<KEY> overrides.
set -euo pipefail

lib=/usr/local/lib/mailsuite
data=${MAIL_SERVER_DATA_DIR:-/var/lib/mail}
selfsigned_cert=$data/tls/selfsigned-cert.pem
selfsigned_key=$data/tls/selfsigned-key.pem

log() {
  printf 'ts=%s level=info daemon=entrypoint event=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$*"
}

# TLS: the configured certificate when it can be read (a mounted directory, e.g. certbot's
# live/ directory); otherwise the self-signed one made by the init service.
choose_certificate() {
  local cert=${MAIL_TLS_CERT_FILE:-} key=${MAIL_TLS_KEY_FILE:-}
  [ -n "$cert" ] || return 0
  if [ -r "$cert" ] && [ -r "$key" ]; then
    return 0
  fi
  if [ -r "$selfsigned_cert" ] && [ -r "$selfsigned_key" ]; then
    log "tls_fallback configured=$cert using=$selfsigned_cert reason=\"configured certificate or key not readable\""
    export MAIL_TLS_CERT_FILE=$selfsigned_cert MAIL_TLS_KEY_FILE=$selfsigned_key
  fi
}

what=${1:-help}
case "$what" in
  smtpd | queued | imapd | pop3d)
    shift
    choose_certificate
    exec "/usr/sbin/$what" "$@"
    ;;
  init)
    shift
    exec "$lib/init.sh" "$@"
    ;;
  mailctl)
    shift
    choose_certificate
    exec /usr/bin/mailctl "$@"
    ;;
  health)
    shift
    exec "$lib/healthcheck.sh" "$@"
    ;;
  help | --help | -h)
    sed -n '2,10p' "$0"
    ;;
  *)
    exec "$@"
    ;;
esac
