#!/usr/bin/env bash
# Makes sure a Docker Engine answers on /var/run/docker.sock.
# - Reuses an engine that already answers; never stops one it did not start.
# - Otherwise installs Debian's docker.io (and busybox-static for the test images) and starts dockerd.
# Prints the engine version on success; exits non-zero with a clear message otherwise.
set -euo pipefail

SOCK=/var/run/docker.sock
DOCKER=/usr/bin/docker   # the docker on PATH may be a client-only build; Debian's lives here
LOG=${BERTH_DOCKERD_LOG:-/tmp/berth-dockerd.log}
WAIT_SECONDS=${BERTH_DOCKERD_WAIT_SECONDS:-60}

engine_answers() {
  # curl is not guaranteed; the docker client is, once installed. Fall back to the other client.
  local client=$DOCKER
  [ -x "$client" ] || client=$(command -v docker || true)
  [ -n "$client" ] && [ -S "$SOCK" ] && "$client" -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

need_packages=()
[ -x "$DOCKER" ] && command -v dockerd >/dev/null 2>&1 || need_packages+=(docker.io)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need_packages+=(busybox-static)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-docker: need root to install: ${need_packages[*]}" >&2; exit 1
  fi
  echo "ensure-docker: installing ${need_packages[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # busybox-static conflicts with busybox; replacing it is what we want for a static httpd/wget.
  apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

if engine_answers; then
  echo "ensure-docker: reusing the engine on $SOCK ($($DOCKER version --format '{{.Server.Version}}'))" >&2
  exit 0
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-docker: a dockerd process runs but does not answer on $SOCK yet; waiting" >&2
else
  echo "ensure-docker: starting dockerd (log: $LOG)" >&2
  # setsid: the engine must outlive this script and the shell that called it.
  setsid dockerd >"$LOG" 2>&1 < /dev/null &
fi

deadline=$((SECONDS + WAIT_SECONDS))
until engine_answers; do
  if [ $SECONDS -ge $deadline ]; then
    echo "ensure-docker: the Docker Engine did not answer on $SOCK within ${WAIT_SECONDS}s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "ensure-docker: engine ready ($($DOCKER version --format '{{.Server.Version}} API {{.Server.APIVersion}}'))" >&2
