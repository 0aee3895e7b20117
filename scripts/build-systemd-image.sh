#!/usr/bin/env bash
# Builds berth-test/debian-systemd:12, a fresh Debian 12 (bookworm) that boots systemd as PID 1 in a
# container (recipe: ../shared/ENVIRONMENT.md). The .deb test installs berth into it with apt.
#
# What is in it and why:
#   systemd, systemd-sysv, dbus  - systemd as PID 1 (Type=notify, watchdog, journal)
#   ca-certificates, git, gpg,   - berth's Depends: already present, so `apt install ./berth_*.deb`
#   openssh-client, age            needs no package download during the test
#   docker.io                    - berth's Recommends, as on a real Docker host. The engine itself is
#                                  the host's (its socket is mounted in): docker.service, docker.socket
#                                  and containerd.service are masked so nothing inside competes for
#                                  /run/docker.sock. The client in the image talks to the host's engine.
#   apt sources                  - the machine's Debian mirror, so apt inside works like on a host.
#
# Cached: rebuilt only when the image is missing or this recipe changed (label berth.recipe).
set -euo pipefail

DOCKER=/usr/bin/docker
IMAGE=${BERTH_SYSTEMD_IMAGE:-berth-test/debian-systemd:12}
SUITE=bookworm
PACKAGES=systemd,systemd-sysv,dbus,ca-certificates,git,gpg,openssh-client,age,docker.io,procps
RECIPE_HASH=$(sha256sum "$0" | cut -c1-16)

existing=$($DOCKER image inspect "$IMAGE" --format '{{ index .Config.Labels "berth.recipe" }}' 2>/dev/null || true)
if [ "$existing" = "$RECIPE_HASH" ]; then
  echo "build-systemd-image: $IMAGE is up to date" >&2
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "build-systemd-image: needs root (debootstrap)" >&2; exit 1; }

# The machine's Debian mirror (no other network is reachable): first URIs: line of the deb822
# sources, else the first deb line of sources.list.
mirror=${BERTH_DEBIAN_MIRROR:-}
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '/^deb / && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "build-systemd-image: no Debian mirror found in the apt sources; set BERTH_DEBIAN_MIRROR" >&2; exit 1; }

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "build-systemd-image: installing debootstrap" >&2
  # Other scripts may be installing packages at the same time: wait for dpkg's lock instead of failing.
  apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  apt_get install -y -qq debootstrap >/dev/null 2>&1 \
    || { apt_get update -qq >/dev/null && apt_get install -y -qq debootstrap >/dev/null; }
fi

rootfs=$(mktemp -d /tmp/berth-systemd-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "build-systemd-image: debootstrap $SUITE from $mirror (about a minute)" >&2
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" >/tmp/berth-debootstrap.log 2>&1 \
  || { echo "build-systemd-image: debootstrap failed; last lines of /tmp/berth-debootstrap.log:" >&2; tail -n 20 /tmp/berth-debootstrap.log >&2; exit 1; }

# apt inside the container uses the same mirror, like a host would.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
EOF

# The engine is the host's (socket bind-mounted): never start one inside.
for unit in docker.service docker.socket containerd.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
# Units that cannot work in a container and only add noise or a degraded state.
for unit in systemd-remount-fs.service getty@tty1.service console-getty.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
# A machine id per container (systemd creates it at boot when the file is empty).
: >"$rootfs/etc/machine-id"
rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* 2>/dev/null || true

tar -C "$rootfs" -c . | $DOCKER import \
  --change "LABEL berth.recipe=$RECIPE_HASH" \
  --change 'ENV container=docker' \
  --change 'CMD ["/lib/systemd/systemd"]' \
  - "$IMAGE" >/dev/null
echo "build-systemd-image: built $IMAGE" >&2
