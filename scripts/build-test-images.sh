#!/usr/bin/env bash
# Builds the local images berth's tests and examples use, with no registry (none is reachable):
#   berth-test/busybox:1 and :2  - static busybox with httpd, wget, nc, sleep...; the two tags differ
#                                  only in /www/version, so "image changed" can be exercised.
# Cached: an image is rebuilt only when missing or when this recipe changed (label berth.recipe).
set -euo pipefail

DOCKER=/usr/bin/docker
REPO=berth-test/busybox
RECIPE_HASH=$(sha256sum "$0" | cut -c1-16)

# Debian's busybox-static: one static binary with httpd, wget and nc (the dynamic "busybox" package
# lacks httpd). Installed here, where it is needed, and only when missing; it replaces "busybox".
if ! { [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd; }; then
  [ "$(id -u)" = 0 ] || { echo "build-test-images: need root to install busybox-static" >&2; exit 1; }
  echo "build-test-images: installing busybox-static from Debian" >&2
  apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  apt_get update -qq >/dev/null
  apt_get install -y -qq busybox-static >/dev/null
fi

build_tag() {
  local tag=$1
  local existing
  existing=$($DOCKER image inspect "$REPO:$tag" --format '{{ index .Config.Labels "berth.recipe" }}' 2>/dev/null || true)
  if [ "$existing" = "$RECIPE_HASH" ]; then
    echo "build-test-images: $REPO:$tag is up to date" >&2
    return
  fi
  local root
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root/bin" "$root/etc" "$root/www" "$root/data" "$root/tmp" "$root/lib/x86_64-linux-gnu" "$root/lib64"
  cp /bin/busybox "$root/bin/"
  for applet in sh httpd wget sleep usleep timeout nc cat echo ls mkdir rm touch date grep sed tail head kill ps true false env hostname id test seq wc; do
    ln -s busybox "$root/bin/$applet"
  done
  # Debian's static busybox resolves names through glibc's NSS: without these, `wget http://name/` segfaults.
  cp /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libresolv.so.2 "$root/lib/x86_64-linux-gnu/"
  for nss in libnss_dns.so.2 libnss_files.so.2; do
    [ -e "/lib/x86_64-linux-gnu/$nss" ] && cp "/lib/x86_64-linux-gnu/$nss" "$root/lib/x86_64-linux-gnu/"
  done
  cp /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
  echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
  echo 'root:x:0:' > "$root/etc/group"
  chmod 1777 "$root/tmp"
  echo "$tag" > "$root/www/version"
  echo "berth test image $tag" > "$root/www/index.html"
  tar -C "$root" -c . | $DOCKER import \
    --change "LABEL berth.recipe=$RECIPE_HASH" \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["sh"]' \
    - "$REPO:$tag" >/dev/null
  echo "build-test-images: built $REPO:$tag" >&2
}

build_tag 1
build_tag 2
