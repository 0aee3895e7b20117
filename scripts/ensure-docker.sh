#!/usr/bin/env bash
# Makes sure a Docker Engine answers on /var/run/docker.sock.
# - First: an engine that already answers is reused as it is. Nothing is installed, started or
#   stopped then (it may be the machine's own engine, started by someone else).
# - Otherwise installs Debian's docker.io when dockerd is missing and starts dockerd, detached.
# - Never stops an engine, not even one it started: later scripts and tests use it.
# busybox (for the local test images) is installed by scripts/build-test-images.sh, which needs it.
# Prints the engine version on success; exits non-zero with a clear message otherwise.
set -euo pipefail

SOCK=/var/run/docker.sock
DOCKER=/usr/bin/docker   # the docker on PATH may be a client-only build; Debian's lives here
LOG=${BERTH_DOCKERD_LOG:-/tmp/berth-dockerd.log}
WAIT_SECONDS=${BERTH_DOCKERD_WAIT_SECONDS:-60}

# The engine's version if it answers on $SOCK, else nothing (and a non-zero status). Any docker
# client will do (Debian's, or the one on PATH), or curl: before anything is installed, one of them
# may be all there is. Unversioned requests: a pinned API version fails on old or new engines.
engine_version() {
  [ -S "$SOCK" ] || return 1
  local client answer
  for client in "$DOCKER" "$(command -v docker || true)"; do
    if [ -n "$client" ] && [ -x "$client" ] \
      && answer=$("$client" -H "unix://$SOCK" version --format '{{.Server.Version}} API {{.Server.APIVersion}}' 2>/dev/null); then
      echo "$answer"; return 0
    fi
  done
  if command -v curl >/dev/null 2>&1; then
    local body
    body=$(curl -fsS --max-time 5 --unix-socket "$SOCK" http://localhost/version 2>/dev/null) || return 1
    # The top-level "Version" is the one directly followed by "ApiVersion" (components have their own).
    sed -n 's/.*"Version":"\([^"]*\)","ApiVersion":"\([^"]*\)".*/\1 API \2/p' <<<"$body" | head -n 1
    return 0
  fi
  return 1
}

# Reuse before anything else: no apt-get, no dockerd when an engine already answers.
if version=$(engine_version); then
  echo "ensure-docker: reusing the engine on $SOCK (${version:-version unknown}); nothing installed" >&2
  exit 0
fi

if ! { [ -x "$DOCKER" ] && command -v dockerd >/dev/null 2>&1; }; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-docker: no engine answers on $SOCK and docker.io is missing; need root to install it" >&2; exit 1
  fi
  echo "ensure-docker: no engine answers on $SOCK; installing docker.io from Debian" >&2
  # Other scripts may be installing packages at the same time: wait for dpkg's lock instead of failing.
  apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
  apt_get update -qq >/dev/null
  apt_get install -y -qq docker.io >/dev/null
  # Installing docker.io may have started an engine through its own service (on a host with
  # systemd as PID 1): the wait below then simply finds it.
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-docker: a dockerd process runs but does not answer on $SOCK yet; waiting" >&2
else
  echo "ensure-docker: starting dockerd (log: $LOG)" >&2
  # setsid: the engine must outlive this script and the shell that called it.
  setsid dockerd >"$LOG" 2>&1 < /dev/null &
fi

deadline=$((SECONDS + WAIT_SECONDS))
until version=$(engine_version); do
  if [ $SECONDS -ge $deadline ]; then
    echo "ensure-docker: the Docker Engine did not answer on $SOCK within ${WAIT_SECONDS}s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "ensure-docker: engine ready ($version)" >&2
