#!/usr/bin/env bash
# Installs every Debian 12 package the build, the demo and the tests need.
# Idempotent: skips apt-get when everything is already installed.
#   scripts/install-deps.sh           everything
#   scripts/install-deps.sh --build   the compiler and -dev packages only (docker/Dockerfile)
#   scripts/install-deps.sh --current everything, and the build packages (with the C library
#                                     and kernel headers) upgraded to the mirror's versions
# --current is what scripts/test.sh uses when it tests the docker image: its release stage
# runs the programs the image's build stage compiled against the mirror's current packages,
# so the host's libraries must be those versions.
set -euo pipefail

BUILD_PKGS=(
  cmake g++ make pkg-config ccache clang-format
  libboost1.81-dev liblmdb-dev lmdb-utils libssl-dev openssl
  libargon2-dev libtomlplusplus-dev libgtest-dev libgmock-dev libidn2-dev
  libidn-dev
  libunbound-dev nlohmann-json3-dev
  zlib1g-dev
  libspf2-dev libopendkim-dev libopendmarc-dev publicsuffix
)
TEST_PKGS=(
  clang libclang-rt-14-dev
  python3 python3-pytest python3-pytest-xdist curl swaks isync fetchmail libnet-ssleay-perl libio-socket-ssl-perl
  libnet-dns-perl libio-socket-inet6-perl
  gsasl
  python3-dnslib
  msmtp s-nail
  python3-dkim python3-authres python3-spf opendkim-tools python3-nacl iproute2
  testssl.sh python3-lmdb
  # Postfix's smtp-sink is the far MTA of the relay tests (tests/integration/relay_env.py).
  postfix
)

# Container tests (docker/test-stack.sh): the engine, compose v1, base-image bootstrap.
DOCKER_PKGS=(
  docker.io docker-compose debootstrap
)

# --build: only what compiling needs (the Dockerfile's build stage).
wanted=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${DOCKER_PKGS[@]}")
if [ "${1:-}" = "--build" ]; then
  wanted=()
  for p in "${BUILD_PKGS[@]}"; do
    [ "$p" = clang-format ] || wanted+=("$p")
  done
fi

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The compose file's and Dockerfile's linters (docker/lint.sh) come from npm, when it is there.
if [ "${1:-}" != "--build" ] && command -v npm >/dev/null &&
  ! { command -v dclint && command -v dockerfile-utils; } >/dev/null; then
  npm install -g --no-fund --no-audit dclint dockerfile-utils >/dev/null || echo "install-deps: npm linters not installed"
fi
current=()
if [ "${1:-}" = "--current" ]; then
  current=("${BUILD_PKGS[@]}" libc6-dev linux-libc-dev)
fi
if [ ${#missing[@]} -eq 0 ] && [ ${#current[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ${#current[@]} -gt 0 ]; then
  # apt-get install upgrades an installed package to the candidate version (and what it
  # depends on, e.g. libssl3 with libssl-dev); it prints what changed.
  $SUDO apt-get install -y -qq --no-install-recommends "${current[@]}" | grep -E '^(Setting up|Unpacking)' || true
fi
