#!/usr/bin/env bash
# Installs every Debian 12 package the build, the demo and the tests need.
# Idempotent: skips apt-get when everything is already installed.
set -euo pipefail

BUILD_PKGS=(
  cmake g++ make pkg-config ccache clang-format
  libboost1.81-dev liblmdb-dev lmdb-utils libssl-dev openssl
  libargon2-dev libtomlplusplus-dev libgtest-dev libgmock-dev libidn2-dev
  libidn-dev
  libargon2-dev libtomlplusplus-dev libgtest-dev libgmock-dev
  libunbound-dev nlohmann-json3-dev
  zlib1g-dev
)
TEST_PKGS=(
  clang libclang-rt-14-dev
  python3 python3-pytest curl swaks isync fetchmail libnet-ssleay-perl libio-socket-ssl-perl
  libnet-dns-perl libio-socket-inet6-perl
  gsasl
  python3-dnslib
  testssl.sh python3-lmdb
)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
