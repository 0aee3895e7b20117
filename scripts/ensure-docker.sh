#!/usr/bin/env bash
# Makes sure a Docker Engine answers on /var/run/docker.sock.
# - First: an engine that already answers is reused as it is. Nothing is installed, started or
#   stopped then (it may be the machine's own engine, started by someone else).
# - Otherwise installs Debian's docker.io when dockerd is missing and starts dockerd, detached.
# - Never stops an engine, not even one it started: later scripts and tests use it.
# - Decides by the socket, not by process names: a private dockerd (a test's or a soak's second engine,
#   with its own socket and pid file) is not the machine's engine. When nothing answers on $SOCK, it
#   waits only for the engine that owns the machine's pid file (one starting, e.g. from docker.io's
#   own service); otherwise it starts dockerd (which would refuse to start beside that one anyway).
# busybox (for the local test images) is installed by scripts/build-test-images.sh, which needs it.
# Prints the engine version on success; exits non-zero with a clear message otherwise.
set -euo pipefail

SOCK=${BERTH_DOCKER_SOCK:-/var/run/docker.sock}
PIDFILE=${BERTH_DOCKERD_PIDFILE:-/var/run/docker.pid}   # dockerd's default: the machine engine's
DOCKER=/usr/bin/docker   # the docker on PATH may be a client-only build; Debian's lives here
LOG=${BERTH_DOCKERD_LOG:-/tmp/berth-dockerd.log}
WAIT_SECONDS=${BERTH_DOCKERD_WAIT_SECONDS:-60}
# BERTH_ENSURE_DOCKER_DRY_RUN=1: print what would be done (install, start, wait) and exit 0, changing
# nothing. Tests use it with BERTH_DOCKER_SOCK and BERTH_DOCKERD_PIDFILE pointing elsewhere, so they can
# check the decision without stopping the machine's engine; those two are refused outside a dry run
# (a dockerd started here uses the defaults, so the decision must be about them).
DRY_RUN=${BERTH_ENSURE_DOCKER_DRY_RUN:-0}
if [ "$DRY_RUN" != 1 ] && { [ -n "${BERTH_DOCKER_SOCK:-}" ] || [ -n "${BERTH_DOCKERD_PIDFILE:-}" ]; }; then
  echo "ensure-docker: BERTH_DOCKER_SOCK and BERTH_DOCKERD_PIDFILE are for dry runs only (BERTH_ENSURE_DOCKER_DRY_RUN=1)" >&2; exit 2
fi

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

# True when the dockerd that owns $PIDFILE runs: the machine engine, starting (or hung). A stale pid
# file (the pid gone, or reused by another program) does not count; any other dockerd never does.
machine_engine_runs() {
  local pid comm
  [ -r "$PIDFILE" ] || return 1
  read -r pid <"$PIDFILE" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  read -r comm <"/proc/$pid/comm" 2>/dev/null || return 1
  [ "$comm" = dockerd ]
}

# Reuse before anything else: no apt-get, no dockerd when an engine already answers.
if version=$(engine_version); then
  echo "ensure-docker: reusing the engine on $SOCK (${version:-version unknown}); nothing installed" >&2
  exit 0
fi

if ! { [ -x "$DOCKER" ] && command -v dockerd >/dev/null 2>&1; }; then
  if [ "$DRY_RUN" = 1 ]; then
    echo "ensure-docker: dry run: no engine answers on $SOCK and docker.io is missing; would install it" >&2
  else
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
fi

if machine_engine_runs; then
  echo "ensure-docker: a dockerd process runs but does not answer on $SOCK yet; waiting" >&2
  if [ "$DRY_RUN" = 1 ]; then echo "ensure-docker: dry run: would wait up to ${WAIT_SECONDS}s" >&2; exit 0; fi
elif [ "$DRY_RUN" = 1 ]; then
  echo "ensure-docker: dry run: would start dockerd (log: $LOG)" >&2; exit 0
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
