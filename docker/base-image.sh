#!/usr/bin/env bash
# Builds the base images the Dockerfile starts FROM, without a registry: debootstrap a
# minimal Debian 12 root filesystem from this machine's own apt mirror and `docker import`
# it as debian:bookworm; the same tree without documentation, manuals and locales (what
# Debian's official -slim images drop, and with the same dpkg path-exclude rules, so later
# apt-get installs stay slim) becomes debian:bookworm-slim.
#
# Usage: docker/base-image.sh            (skips the images that already exist)
#        MAIL_BASE_FORCE=1 docker/base-image.sh
# Needs root (debootstrap), debootstrap, and a reachable dockerd (DOCKER_HOST).
set -euo pipefail

suite=bookworm
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
if [ "${MAIL_BASE_FORCE:-0}" != "1" ] && have_image "debian:$suite" && have_image "debian:$suite-slim"; then
  echo "base-image: debian:$suite and debian:$suite-slim exist"
  exit 0
fi

# The machine's configured mirror: the first URI of its Debian sources (deb822 or
# one-line format), so the build works wherever apt works.
mirror=${MAIL_APT_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
    grep -v -- '-security' | head -n1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    grep -v -- '-security' | awk '{print $2}' | grep '/debian' | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/mail-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
echo "base-image: debootstrap $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# apt inside the image uses the same sources as this machine (security updates included,
# so libraries in the image match the ones the host builds against).
rm -f "$root/etc/apt/sources.list"
mkdir -p "$root/etc/apt/sources.list.d"
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
  for f in /etc/apt/sources.list.d/*.sources; do
    grep -q -- '/debian' "$f" && cp "$f" "$root/etc/apt/sources.list.d/"
  done
else
  grep -hs '^deb .*/debian' /etc/apt/sources.list >"$root/etc/apt/sources.list" || true
fi
[ -n "$(ls "$root/etc/apt/sources.list.d/" 2>/dev/null)" ] || [ -s "$root/etc/apt/sources.list" ] ||
  echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
# As Debian's images do: no package cache kept, no recommends pulled in.
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CONF
echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
  "$root"/tmp/* "$root"/var/tmp/*

tar --numeric-owner -C "$root" -c . | docker import -c 'CMD ["bash"]' - "debian:$suite" >/dev/null

cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CONF
find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
tar --numeric-owner -C "$root" -c . | docker import -c 'CMD ["bash"]' - "debian:$suite-slim" >/dev/null
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^debian:$suite"
