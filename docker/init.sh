#!/bin/bash
# The one-shot set-up (the compose file's init service); safe to run again:
#   1. the data directory is writable by this user (the image's "mail");
#   2. a self-signed certificate for the host name in DATA/tls/ when the configured
#      certificate is missing (the daemons fall back to it until one is mounted);
#   3. the first domain (MAIL_DOMAIN) and its admin account (MAIL_ADMIN, password from the
#      file MAIL_ADMIN_PASSWORD_FILE, e.g. a compose secret) when the account does not
#      exist yet. The password is handed to mailctl through that file, never echoed,
#      never on a command line.
set -euo pipefail

data=${MAIL_SERVER_DATA_DIR:-/var/lib/mail}
host=${MAIL_SERVER_HOSTNAME:-$(hostname -f)}

log() {
  printf 'ts=%s level=info daemon=init event=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$*"
}
fail() {
  printf 'ts=%s level=error daemon=init event=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$*"
  exit 1
}

# 1.
mkdir -p "$data"
[ -w "$data" ] || fail "data_dir_not_writable dir=$data user=$(id -un) hint=\"chown the volume to uid $(id -u)\""

# 2.
cert=${MAIL_TLS_CERT_FILE:-}
if [ -n "$cert" ] && [ ! -r "$cert" ] && [ ! -s "$data/tls/selfsigned-cert.pem" ]; then
  mkdir -p "$data/tls"
  chmod 0700 "$data/tls"
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=$host" -addext "subjectAltName=DNS:$host" \
    -keyout "$data/tls/selfsigned-key.pem.tmp" -out "$data/tls/selfsigned-cert.pem.tmp" 2>/dev/null ||
    fail "self_signed_certificate_failed"
  mv "$data/tls/selfsigned-key.pem.tmp" "$data/tls/selfsigned-key.pem"
  mv "$data/tls/selfsigned-cert.pem.tmp" "$data/tls/selfsigned-cert.pem"
  log "self_signed_certificate host=$host file=$data/tls/selfsigned-cert.pem"
fi

# 3.
domain=${MAIL_DOMAIN:-}
admin=${MAIL_ADMIN:-}
if [ -n "$domain" ]; then
  if ! /usr/bin/mailctl domain list | grep -qixF "$domain"; then
    /usr/bin/mailctl domain add "$domain" >/dev/null
    log "domain_added domain=$domain"
  fi
fi
if [ -n "$admin" ]; then
  if /usr/bin/mailctl user list | grep -qixF "$admin"; then
    log "admin_exists account=$admin"
  else
    file=${MAIL_ADMIN_PASSWORD_FILE:-}
    [ -n "$file" ] && [ -r "$file" ] ||
      fail "admin_password_missing account=$admin hint=\"set MAIL_ADMIN_PASSWORD_FILE to a readable file (a compose secret)\""
    /usr/bin/mailctl user add --password-file "$file" "$admin" >/dev/null
    log "admin_added account=$admin"
  fi
fi
log "done data_dir=$data"
