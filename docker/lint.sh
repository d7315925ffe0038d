#!/usr/bin/env bash
# Validates the compose file and the Dockerfile: docker-compose's own schema check (no
# engine needed), dclint (schema and style) and dockerfile-utils (npm packages:
# `npm install -g dclint dockerfile-utils`; scripts/install-deps.sh installs them when npm
# is there). Exit 77 when a linter is missing, 1 on a finding.
#
# dclint rules left out, on purpose:
#   require-project-name-field     a top-level name: breaks docker-compose v1; -p names it
#   no-build-and-image             pidns builds the image that every service then runs by name
#   no-unbound-port-interfaces     MAIL_BIND (default 0.0.0.0) chooses it: an MX must be public
#   service-keys-order, services-alphabetical-order   services share keys through YAML
#                                  anchors and are listed in start-up order
set -euo pipefail
cd "$(dirname "$0")"
for tool in docker-compose dclint dockerfile-utils; do
  command -v "$tool" >/dev/null || { echo "lint: $tool not installed"; exit 77; }
done
docker-compose -f docker-compose.yml config -q
dclint docker-compose.yml --max-warnings 0 --disable-rule require-project-name-field \
  no-build-and-image no-unbound-port-interfaces service-keys-order services-alphabetical-order
out=$(dockerfile-utils lint Dockerfile)
[ -z "$out" ] || { echo "$out"; exit 1; }
echo "lint: docker-compose.yml and Dockerfile clean"
