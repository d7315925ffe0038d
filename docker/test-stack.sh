#!/usr/bin/env bash
# End-to-end test of the compose stack, for developers and for the test suite
# (tests/integration/test_docker.py runs it). From any directory:
#
#   docker/test-stack.sh            build, up, mail round trip, restart, relay check, down
#   MAIL_STACK_KEEP=1 docker/test-stack.sh    leave the stack running at the end
#   docker/test-stack.sh --programs DIR       build the image only, and copy its five
#                                             programs into DIR as a build tree holds them
#                                             (DIR/smtpd/smtpd, ..., DIR/ctl/mailctl):
#                                             scripts/test.sh's release tests run those
#
# 1. A Docker daemon: $DOCKER_HOST or the default socket when one answers; otherwise, as
#    root, a private dockerd (data root /var/tmp/mail-docker/root, kept between runs: it
#    holds the base images and the layer cache), stopped again at the end with its
#    docker0 bridge and iptables chains removed. Exit 77 when no daemon can be had.
# 2. The base images (docker/base-image.sh: debootstrap from this machine's apt mirror).
# 3. The image, from a context holding the tree's files (git ls-files: what a checkout
#    has, uncommitted edits included) and the ccache of the previous build
#    (docker/.cache/ccache): a source change recompiles only what it touches.
# 4. docker-compose -p mailstacktest -f docker/docker-compose.yml up -d exactly as a user
#    runs it (ports published on 127.0.0.1 at 25xxx so as not to collide with a host MTA),
#    waits until every service is healthy.
# 5. Mail: swaks to the published SMTP port (port 25 unauthenticated and 587 with
#    STARTTLS + AUTH), read back with imaplib (993, the init service's self-signed
#    certificate verified) and poplib (995); queued restarted right after a message was
#    accepted and nothing lost; relaying refused from the host (through the published
#    port) and from inside the compose network.
# 6. docker-compose down -v; the private dockerd, when started here, is stopped.
# Prints figures: image size, time from `up` to healthy, the daemons' idle RSS.
set -euo pipefail

programs_dir=""
if [ "${1:-}" = "--programs" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 [--programs DIR]" >&2; exit 2; }
  mkdir -p "$2"
  programs_dir=$(cd "$2" && pwd)
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
project=${MAIL_STACK_PROJECT:-mailstacktest}
image=${MAIL_IMAGE:-mailsuite:latest}
cache_dir=${MAIL_STACK_CACHE:-$here/.cache}
private=/var/tmp/mail-docker
export MAIL_IMAGE=$image
export DOCKER_BUILDKIT=0 # the classic builder, as docker-compose v1 uses

say() { printf 'test-stack: %s\n' "$*"; }
die() {
  printf 'test-stack: FAIL: %s\n' "$*" >&2
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

# --- 1. the engine -------------------------------------------------------------------
started_dockerd=""
engine_ok() { timeout 10 docker info >/dev/null 2>&1; }
if ! engine_ok; then
  if [ -S "$private/docker.sock" ] && DOCKER_HOST=unix://$private/docker.sock engine_ok; then
    export DOCKER_HOST=unix://$private/docker.sock
  elif [ "$(id -u)" -eq 0 ] && command -v dockerd >/dev/null; then
    mkdir -p "$private"
    rm -f "$private/dockerd.pid"
    dockerd --data-root "$private/root" --exec-root "$private/exec" \
      --pidfile "$private/dockerd.pid" -H "unix://$private/docker.sock" \
      >"$private/dockerd.log" 2>&1 &
    started_dockerd=$!
    export DOCKER_HOST=unix://$private/docker.sock
    for _ in $(seq 1 60); do
      engine_ok && break
      sleep 0.5
    done
    engine_ok || {
      tail -n 20 "$private/dockerd.log" >&2
      kill "$started_dockerd" 2>/dev/null || true
      say "SKIP: dockerd did not start"
      exit 77
    }
    say "started dockerd (pid $started_dockerd, $DOCKER_HOST)"
  else
    say "SKIP: no Docker daemon reachable and none can be started here"
    exit 77
  fi
fi
command -v docker-compose >/dev/null || die "docker-compose is not installed (scripts/install-deps.sh)"
command -v swaks >/dev/null || die "swaks is not installed"

stop_private_dockerd() {
  [ -n "$started_dockerd" ] || return 0
  kill "$started_dockerd" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$started_dockerd" 2>/dev/null || break
    sleep 0.5
  done
  # Its bridge and firewall chains, unless another dockerd on this machine uses them.
  if ! pgrep -x dockerd >/dev/null; then
    ip link delete docker0 2>/dev/null || true
    local table rule chain
    for table in filter nat; do
      iptables -t "$table" -S 2>/dev/null | grep '^-A' | grep -e 'docker0' -e 'DOCKER' |
        sed 's/^-A/-D/' | while read -r rule; do
        eval "iptables -t $table $rule" 2>/dev/null || true
      done
      for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^DOCKER/ {print $2}'); do
        iptables -t "$table" -F "$chain" 2>/dev/null || true
        iptables -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  fi
  say "stopped dockerd $started_dockerd"
}

work=$(mktemp -d /var/tmp/mail-stack.XXXXXX)
compose() { docker-compose -p "$project" -f "$repo/docker/docker-compose.yml" "$@"; }
stack_up=""
cleanup() {
  local rc=$?
  if [ -n "$stack_up" ]; then
    if [ "$rc" -ne 0 ]; then
      compose ps || true
      compose logs --no-color --tail=30 2>&1 | tail -n 120 || true
    fi
    if [ "${MAIL_STACK_KEEP:-0}" = "1" ]; then
      say "stack left running (MAIL_STACK_KEEP=1): docker-compose -p $project -f docker/docker-compose.yml down -v"
    else
      compose down -v --remove-orphans >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$work"
  [ "${MAIL_STACK_KEEP:-0}" = "1" ] || stop_private_dockerd
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. base images ------------------------------------------------------------------
t=$(now)
"$here/base-image.sh" >/dev/null
say "base images ready ($(since "$t") s)"

# --- 3. the image --------------------------------------------------------------------
t=$(now)
ctx=$work/context
mkdir -p "$ctx/src" "$ctx/seed" "$ctx/scripts" "$cache_dir"
(cd "$repo" && git ls-files -co --exclude-standard -z |
  grep -zv -e '^docker/\.cache/' -e '^build' |
  xargs -0 -r cp --parents -t "$ctx/src" 2>/dev/null) || true
[ -f "$ctx/src/docker/Dockerfile" ] || die "could not copy the sources"
cp "$repo/scripts/install-deps.sh" "$ctx/scripts/"
if [ -d "$cache_dir/ccache" ]; then # hard links when on one filesystem
  cp -al "$cache_dir/ccache/." "$ctx/seed/" 2>/dev/null || cp -a "$cache_dir/ccache/." "$ctx/seed/"
fi
before_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
docker build -q -f "$ctx/src/docker/Dockerfile" --build-arg SRC_CONTEXT=src \
  --build-arg CCACHE_SEED=seed -t "$image" "$ctx" >"$work/build.log" 2>&1 ||
  { tail -n 60 "$work/build.log" >&2; die "docker build failed"; }
after_id=$(docker image inspect -f '{{.Id}}' "$image")
if [ "$before_id" != "$after_id" ] && [ -z "$programs_dir" ]; then
  # Keep this build's compiler cache for the next one (the build stage is cached: instant).
  # Not with --programs: a new seed would make the stack run that follows it (test.sh)
  # build the image again instead of finding every layer cached.
  docker build -q -f "$ctx/src/docker/Dockerfile" --build-arg SRC_CONTEXT=src \
    --build-arg CCACHE_SEED=seed --target build -t "$image-build" "$ctx" >/dev/null
  rm -rf "$cache_dir/ccache.new"
  mkdir -p "$cache_dir/ccache.new"
  docker run --rm --entrypoint tar "$image-build" -C /ccache -cf - . | tar -xf - -C "$cache_dir/ccache.new"
  say "compiler cache of the image build: $(CCACHE_DIR=$cache_dir/ccache.new ccache --print-stats |
    awk '$1 ~ /^(direct|preprocessed)_cache_hit$/ {hit += $2} $1 == "cache_miss" {miss = $2}
         END {printf "%d hits, %d misses", hit, miss}')"
  rm -rf "$cache_dir/ccache"
  mv "$cache_dir/ccache.new" "$cache_dir/ccache"
  docker image prune -f >/dev/null 2>&1 || true
fi
image_mb=$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f", $1 / 1048576}')
say "image $image built ($(since "$t") s, ${image_mb} MiB)"

if [ -n "$programs_dir" ]; then
  id=$(docker create "$image")
  for p in sbin/smtpd sbin/queued sbin/imapd sbin/pop3d bin/mailctl; do
    name=${p#*/}
    [ "$name" = mailctl ] && dir=ctl || dir=$name
    mkdir -p "$programs_dir/$dir"
    docker cp "$id:/usr/$p" "$programs_dir/$dir/$name" >/dev/null ||
      { docker rm "$id" >/dev/null; die "could not copy /usr/$p out of the image"; }
  done
  docker rm "$id" >/dev/null
  say "the image's programs copied into $programs_dir"
  exit 0
fi

# --- 4. the stack --------------------------------------------------------------------
export MAIL_BIND=127.0.0.1
export MAIL_SMTP_PORT=${MAIL_SMTP_PORT:-25025} MAIL_SUBMISSION_PORT=${MAIL_SUBMISSION_PORT:-25587}
export MAIL_SUBMISSIONS_PORT=${MAIL_SUBMISSIONS_PORT:-25465} MAIL_IMAP_PORT=${MAIL_IMAP_PORT:-25143}
export MAIL_IMAPS_PORT=${MAIL_IMAPS_PORT:-25993} MAIL_POP3_PORT=${MAIL_POP3_PORT:-25110}
export MAIL_POP3S_PORT=${MAIL_POP3S_PORT:-25995}
export MAIL_HOSTNAME=mail.example.test MAIL_DOMAIN=example.test MAIL_ADMIN=admin@example.test
password="stack-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$password" >"$work/admin_password"
chmod 0644 "$work/admin_password" # read by the image's user through the secret's bind mount
export MAIL_ADMIN_PASSWORD_FILE=$work/admin_password

compose down -v --remove-orphans >/dev/null 2>&1 || true # a previous run's leftovers
t=$(now)
stack_up=1
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; die "docker-compose up failed"; }
services=(queued smtpd imapd pop3d)
wait_healthy() {
  local deadline=$(($(date +%s) + ${1:-120})) s id health pending
  while :; do
    pending=""
    for s in "${services[@]}"; do
      id=$(compose ps -q "$s")
      health=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null || echo none)
      [ "$health" = healthy ] || pending="$pending $s=$health"
    done
    [ -z "$pending" ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || die "not healthy:$pending"
    sleep 0.5
  done
}
wait_healthy 180
healthy_s=$(since "$t")
say "stack healthy ${healthy_s} s after docker-compose up"
if grep -rqF "$password" <(compose logs --no-color 2>&1); then die "the admin password appears in the logs"; fi

# --- 5. mail -------------------------------------------------------------------------
compose exec -T smtpd cat /var/lib/mail/tls/selfsigned-cert.pem >"$work/ca.pem" ||
  die "no self-signed certificate in the volume"
token=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
swaks --server 127.0.0.1 --port "$MAIL_SMTP_PORT" --helo client.example.net \
  --from "someone@example.net" --to "$MAIL_ADMIN" \
  --header "Subject: inbound $token" --body "inbound body $token" >"$work/swaks1.log" 2>&1 ||
  { cat "$work/swaks1.log" >&2; die "swaks to port $MAIL_SMTP_PORT failed"; }
swaks --server 127.0.0.1 --port "$MAIL_SUBMISSION_PORT" --tls --auth PLAIN \
  --auth-user "$MAIL_ADMIN" --auth-password "$password" --helo client.example.net \
  --from "$MAIL_ADMIN" --to "$MAIL_ADMIN" \
  --header "Subject: submitted $token" --body "submitted body $token" >"$work/swaks2.log" 2>&1 ||
  { cat "$work/swaks2.log" >&2; die "swaks to submission port $MAIL_SUBMISSION_PORT failed"; }
# Accepted, then queued restarted at once: the message must still arrive.
swaks --server 127.0.0.1 --port "$MAIL_SMTP_PORT" --helo client.example.net \
  --from "someone@example.net" --to "$MAIL_ADMIN" \
  --header "Subject: restart $token" --body "restart body $token" >"$work/swaks3.log" 2>&1 ||
  { cat "$work/swaks3.log" >&2; die "swaks (before the restart) failed"; }
t=$(now)
compose restart queued >/dev/null 2>&1 || die "restart of queued failed"
services=(queued)
wait_healthy 60
say "queued restarted and healthy again in $(since "$t") s"

read_back() {
  /usr/bin/python3 - "$@" <<'PY'
import imaplib, poplib, ssl, sys, time
user, password, ca, imaps, pop3s, token = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the certificate names mail.example.test; we dial 127.0.0.1
want = [f"inbound {token}", f"submitted {token}", f"restart {token}"]
deadline = time.time() + 60
while True:
    m = imaplib.IMAP4_SSL("127.0.0.1", int(imaps), ssl_context=ctx)
    m.login(user, password)
    typ, data = m.select("INBOX", readonly=True)
    if int(data[0]):
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    else:
        data = []
    subjects = [p[1].decode() for p in data if isinstance(p, tuple)]
    m.logout()
    missing = [w for w in want if not any(w in s for s in subjects)]
    if not missing:
        break
    if time.time() > deadline:
        sys.exit(f"IMAP: missing {missing}; INBOX has {subjects}")
    time.sleep(0.5)
dups = [w for w in want if sum(w in s for s in subjects) != 1]
if dups:
    sys.exit(f"IMAP: not exactly once: {dups}")
p = poplib.POP3_SSL("127.0.0.1", int(pop3s), context=ctx)
p.user(user)
p.pass_(password)
count = p.stat()[0]
bodies = [b"\n".join(p.retr(i)[1]) for i in range(1, count + 1)]
p.quit()
for w in want:
    if not any(w.encode() in b for b in bodies):
        sys.exit(f"POP3: {w!r} not found in {count} messages")
print(f"IMAP and POP3 read {len(want)} messages back")
PY
}
out=$(read_back "$MAIL_ADMIN" "$password" "$work/ca.pem" "$MAIL_IMAPS_PORT" "$MAIL_POP3S_PORT" "$token" 2>&1) ||
  die "mail did not come back: $out"
say "$out"

# No open relay: from the host (arrives from the bridge gateway through the published
# port) and from another container on the compose network.
if swaks --server 127.0.0.1 --port "$MAIL_SMTP_PORT" --helo client.example.net \
  --from "someone@example.net" --to "victim@elsewhere.example" --quit-after RCPT \
  >"$work/relay.log" 2>&1; then
  cat "$work/relay.log" >&2
  die "relay to a foreign domain accepted through the published port"
fi
grep -qE '^<[~*]* +5[0-9][0-9] ' "$work/relay.log" || { cat "$work/relay.log" >&2; die "relay attempt not refused with 5xx"; }
reply=$(compose exec -T queued bash -c '
  exec 3<>/dev/tcp/smtpd/25 || exit 2
  r() { IFS= read -r -t 5 l <&3; printf "%s\n" "${l%$'"'"'\r'"'"'}"; }
  r >/dev/null
  printf "EHLO inside.example\r\n" >&3
  while r | grep -q "^250-"; do :; done
  printf "MAIL FROM:<a@example.net>\r\n" >&3; r >/dev/null
  printf "RCPT TO:<victim@elsewhere.example>\r\n" >&3; r
  printf "QUIT\r\n" >&3' 2>&1) || true
case "$reply" in
  5[0-9][0-9]*) say "relay refused from the host and from inside the network ($reply)" ;;
  *) die "relay attempt from inside the compose network: $reply" ;;
esac

# --- figures -------------------------------------------------------------------------
total_kb=0
rss=""
for s in smtpd queued imapd pop3d; do
  pid=$(docker inspect -f '{{.State.Pid}}' "$(compose ps -q "$s")")
  kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  total_kb=$((total_kb + kb))
  rss="$rss $s=$((kb / 1024))MiB"
done
say "figures: image ${image_mb} MiB; up->healthy ${healthy_s} s; idle RSS$rss total $((total_kb / 1024)) MiB"
say "PASS in $(since "$t_start") s"
