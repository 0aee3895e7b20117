#!/usr/bin/env bash
# Runs the whole test suite (scripts/test.sh, arguments passed on) against a Docker Engine started
# from nothing: a dockerd with a brand-new data root in a temporary directory, as on a machine where
# docker.io was just installed. An engine with history differs from a new one (the default bridge's
# IPAM config, cached images, leftover networks and volumes): a suite that is green only on the
# engine it was developed on hides exactly the failures a new user meets first. docs/testing.md.
#
# For build and test machines only: the engine that answers on /var/run/docker.sock now is STOPPED
# for the duration (its containers stop unless it runs with live-restore) and started again afterwards,
# with the same command line, or through systemd when systemd runs it. Its data root is not touched.
# The fresh engine's data root is deleted at the end; the test images are rebuilt into it by the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

SOCK=/var/run/docker.sock
DOCKER=/usr/bin/docker
WAIT_SECONDS=${BERTH_DOCKERD_WAIT_SECONDS:-60}

[ "$(id -u)" = 0 ] || { echo "test-on-fresh-engine: needs root (it stops and starts dockerd)" >&2; exit 1; }

answers() { "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

wait_until() { # wait_until DESCRIPTION COMMAND...: polls COMMAND until it succeeds or WAIT_SECONDS pass
  local what=$1; shift
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then echo "test-on-fresh-engine: timed out waiting for $what" >&2; return 1; fi
    sleep 0.5
  done
}

# Make sure an engine (and docker.io) is there first: the same script a user's first command runs.
scripts/ensure-docker.sh

# How the current engine was started, to start it again the same way.
systemd_unit=""
if [ -d /run/systemd/system ] && systemctl is-active --quiet docker.service 2>/dev/null; then
  systemd_unit=docker.service
fi
mapfile -t previous_pids < <(pgrep -x dockerd || true)
if [ -z "$systemd_unit" ] && [ ${#previous_pids[@]} -ne 1 ]; then
  echo "test-on-fresh-engine: expected one dockerd process, found ${#previous_pids[@]}; stop the others first" >&2; exit 1
fi
previous_cmdline=()
if [ -z "$systemd_unit" ]; then
  mapfile -d '' -t previous_cmdline < "/proc/${previous_pids[0]}/cmdline"
fi

stop_engine() { # stop_engine PID: SIGTERM, then wait until the process and the socket's answers are gone
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_until "dockerd $pid to exit" bash -c "! kill -0 $pid 2>/dev/null"
}

fresh=$(mktemp -d /tmp/berth-fresh-engine.XXXXXX)
fresh_pid=""
restore() {
  local status=$?
  set +e
  if [ -n "$fresh_pid" ]; then
    echo "test-on-fresh-engine: stopping the fresh engine" >&2
    # Our own child: `wait` reaps it (a zombie would still answer kill -0).
    kill -TERM "$fresh_pid" 2>/dev/null && wait "$fresh_pid" 2>/dev/null
  fi
  # Leftover mounts of the fresh engine's containers would make the delete fail.
  grep -o " $fresh[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$fresh"
  echo "test-on-fresh-engine: starting the previous engine again" >&2
  if [ -n "$systemd_unit" ]; then
    systemctl start "$systemd_unit"
  else
    setsid "${previous_cmdline[@]}" >>"${BERTH_DOCKERD_LOG:-/tmp/berth-dockerd.log}" 2>&1 < /dev/null &
  fi
  wait_until "the previous engine to answer on $SOCK" answers || status=1
  exit "$status"
}
trap restore EXIT

echo "test-on-fresh-engine: stopping the current engine" >&2
if [ -n "$systemd_unit" ]; then
  systemctl stop docker.socket "$systemd_unit" 2>/dev/null || systemctl stop "$systemd_unit"
else
  stop_engine "${previous_pids[0]}"
fi

# The default bridge's interface outlives the engine that made it, and an engine that finds docker0 with
# an address records it as the gateway; a brand-new install creates the interface itself and records
# only the subnet (docs/testing.md). Removing it makes the fresh engine start as a new install does; the
# previous engine creates it again when it starts.
if command -v ip >/dev/null 2>&1 && ip link show docker0 >/dev/null 2>&1; then
  ip link delete docker0
fi

echo "test-on-fresh-engine: starting dockerd with the new data root $fresh/data (log: $fresh/dockerd.log)" >&2
setsid dockerd --data-root "$fresh/data" --exec-root "$fresh/exec" --pidfile "$fresh/dockerd.pid" \
  >"$fresh/dockerd.log" 2>&1 < /dev/null &
fresh_pid=$!
wait_until "the fresh engine to answer on $SOCK" answers
echo "test-on-fresh-engine: fresh engine ready; images: $("$DOCKER" image ls -q | wc -l), containers: $("$DOCKER" ps -aq | wc -l)" >&2

scripts/test.sh "$@"
