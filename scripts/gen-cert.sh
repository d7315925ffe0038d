#!/usr/bin/env bash
# Makes a self-signed TLS certificate for localhost (SAN DNS:localhost, IP:127.0.0.1) in
# DIR/cert.pem and DIR/key.pem (the key mode 0600), for the demo and the integration tests.
# Does nothing when both files already exist. Trusts nothing but its one argument.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
mkdir -p "$dir"
cert="$dir/cert.pem"
key="$dir/key.pem"
if [ -s "$cert" ] && [ -s "$key" ]; then
  exit 0
fi

umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$key.tmp" -out "$cert.tmp" >/dev/null 2>&1
chmod 0600 "$key.tmp"
chmod 0644 "$cert.tmp"
mv "$key.tmp" "$key"
mv "$cert.tmp" "$cert"
echo "gen-cert: wrote $cert and $key"
