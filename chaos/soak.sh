#!/usr/bin/env bash
# The soak (issue #20): one berth daemon converging N services for a long time while commits arrive,
# containers drift (stopped, removed, cut off their network) and the engine restarts (every container
# stops: live-restore is off). Every --sample seconds the daemon's RSS, threads, open descriptors and the
# state file's size go into samples.csv; at the end the services must be converged on the last commit,
# and no resource may show a growth trend (chaos/soak_report.py: last third's median against the first
# third's, after the warm-up). Prints one summary line and exits non-zero on any violation.
#
#   chaos/soak.sh --profile short                 # CI: 10 services, 90 s of faults, samples every 5 s
#   chaos/soak.sh --profile long --out /work/soak-run   # 50 services, 2 hours, samples every minute
#   chaos/soak.sh --profile long --duration 4h --out DIR
#   chaos/plot.py DIR/samples.csv docs/reliability  # the graphs (SVG), any time, also while it runs
#
# Options (after --profile, which sets them all):
#   --services N        services in the stack
#   --duration D        how long faults are injected (seconds, or 90m, 2h)
#   --sample S          seconds between samples
#   --warmup S          samples younger than this are not part of the trend check
#   --commit-every S    a commit changing one service's environment (a rollout of that service)
#   --drift-every S     one drift: a container stopped, removed, or disconnected from its network, in turn
#   --restart-every S   the engine stopped (SIGTERM, live-restore off: every container stops) and started again
#   --health-interval S the services' health-check interval (>= 10 s at 50 services on 2 cores)
#   --pass-interval S   the daemon's reconcile.interval
#   --pool CIDR         the engine's default address pool (a /16 outside the main engine's pools)
#   --out DIR           samples.csv, events.log, daemon.log, dockerd.log, summary.txt (default: a new /tmp dir)
#   --keep              leave the engine's data root and the repository in DIR (default: removed at the end)
#
# The Docker engine is the soak's own: a second dockerd with its own data root, exec root (and so its own
# containerd), socket and pid file, its own network namespace and no iptables rules, so it can be stopped and
# restarted at will without touching the machine's engine at /var/run/docker.sock or anyone using it.
# It is stopped by its pid at the end (also on failure or SIGTERM to this script: kill the script's pid,
# never dockerd by name). Needs root, dockerd (Debian's docker.io) and a built berth (Release).
set -euo pipefail
export LC_ALL=C.UTF-8
cd "$(dirname "$0")/.."
ROOT=$PWD

PROFILE=short
set_profile() {
  case $1 in
    short) SERVICES=10; DURATION=90; SAMPLE=5; WARMUP=30; COMMIT_EVERY=20; DRIFT_EVERY=15; RESTART_EVERY=45
           HEALTH_INTERVAL=10; PASS_INTERVAL=10; POOL=10.243.0.0/16 ;;
    long)  SERVICES=50; DURATION=7200; SAMPLE=60; WARMUP=900; COMMIT_EVERY=300; DRIFT_EVERY=120; RESTART_EVERY=1200
           HEALTH_INTERVAL=20; PASS_INTERVAL=30; POOL=10.242.0.0/16 ;;
    *) echo "soak: unknown profile $1 (short, long)" >&2; exit 2 ;;
  esac
  PROFILE=$1
}
seconds_of() {   # 90, 90s, 15m, 2h -> seconds
  case $1 in
    *h) echo $(( ${1%h} * 3600 )) ;; *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
  esac
}
set_profile short
OUT=""; KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --profile) set_profile "$2"; shift 2 ;;
    --services) SERVICES=$2; shift 2 ;;
    --duration) DURATION=$(seconds_of "$2"); shift 2 ;;
    --sample) SAMPLE=$(seconds_of "$2"); shift 2 ;;
    --warmup) WARMUP=$(seconds_of "$2"); shift 2 ;;
    --commit-every) COMMIT_EVERY=$(seconds_of "$2"); shift 2 ;;
    --drift-every) DRIFT_EVERY=$(seconds_of "$2"); shift 2 ;;
    --restart-every) RESTART_EVERY=$(seconds_of "$2"); shift 2 ;;
    --health-interval) HEALTH_INTERVAL=$(seconds_of "$2"); shift 2 ;;
    --pass-interval) PASS_INTERVAL=$(seconds_of "$2"); shift 2 ;;
    --pool) POOL=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

DOCKER=/usr/bin/docker
PY=/usr/bin/python3
RUN_ID=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
OUT=${OUT:-$(mktemp -d "/tmp/berth-soak-$RUN_ID.XXXX")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Short paths: containerd's socket lives under the exec root, and a unix socket path has 107 bytes at most.
ENGINE=$(mktemp -d "/tmp/berth-soak-engine-$RUN_ID.XXXX")
SOCK=$ENGINE/docker.sock
export DOCKER_HOST=unix://$SOCK   # every docker command below talks to the soak's engine, never the machine's
LABEL=io.berth-bench.run          # bench/generate.py's label: every container, network and volume carries it
HOST=soak-$RUN_ID; STACK=soak
STATE=$OUT/state; REPO=$OUT/repo; GEN=$OUT/gen
BERTH_DIR=${BERTH_BIN_DIR:-$ROOT/src/Daemon/bin/Release/net10.0}
BERTH_DLL=$BERTH_DIR/berth.dll
ENGINE_PID=""; DAEMON_PID=""

exec {LOGFD}>&2
now() { date -u +%s; }
START=$(now)
event() {   # one line in events.log (and on stderr): elapsed seconds, kind, detail
  local line; line=$(printf '%s\t%s\t%s\t%s' "$(date -u +%FT%TZ)" "$(( $(now) - START ))" "$1" "${2:-}")
  echo "$line" >>"$OUT/events.log"; echo "soak: $line" >&"$LOGFD"
  PENDING_EVENTS="${PENDING_EVENTS:+$PENDING_EVENTS+}$1"
}
die() { event fatal "$*"; exit 1; }

[ "$(id -u)" = 0 ] || { echo "soak: needs root (a second dockerd)" >&2; exit 2; }
command -v dockerd >/dev/null || { echo "soak: dockerd missing: run scripts/ensure-docker.sh (installs Debian's docker.io)" >&2; exit 2; }
[ -f "$BERTH_DLL" ] || { echo "soak: $BERTH_DLL missing: dotnet build Reconciler.sln -c Release" >&2; exit 2; }

# ---------------------------------------------------------------- the soak's own engine
NETNS=bsoak$RUN_ID   # the soak engine's network namespace (ip netns; 15 bytes at most)
engine_start() {
  # In a network namespace of its own: dockerd 20.10 deletes the interface docker0 whenever it starts
  # again with a default address pool and live-restore off (moby's "clear stale bridge network" calls
  # removeDefaultBridgeInterface whatever --bridge says; --bridge=none deletes it at every start), and in
  # the host's namespace docker0 is the machine engine's bridge. Only the network namespace is entered
  # (nsenter --net): dockerd needs the host's cgroup mounts, which `ip netns exec` would hide. No iptables
  # or forwarding changes; its own address pool. --live-restore=false is the default, written out because
  # the soak relies on it: stopping this engine stops every container.
  if [ ! -e "/run/netns/$NETNS" ]; then
    ip netns add "$NETNS"
    ip netns exec "$NETNS" ip link set lo up
  fi
  setsid nsenter --net="/run/netns/$NETNS" dockerd --data-root "$ENGINE/data" --exec-root "$ENGINE/exec" --pidfile "$ENGINE/docker.pid" \
    -H "unix://$SOCK" --iptables=false --ip-forward=false --ip-masq=false \
    --default-address-pool "base=$POOL,size=24" --live-restore=false \
    >>"$OUT/dockerd.log" 2>&1 </dev/null &
  ENGINE_PID=$!   # setsid and nsenter exec in place: dockerd itself (so cleanup stops it even if it never answers)
  local deadline=$(( $(now) + 90 ))
  until $DOCKER version --format '{{.Server.Version}}' >/dev/null 2>&1; do
    [ "$(now)" -lt "$deadline" ] || die "the soak's engine did not answer within 90 s (see $OUT/dockerd.log)"
    sleep 0.5
  done
  ENGINE_PID=$(cat "$ENGINE/docker.pid")
}
engine_stop() {
  [ -n "$ENGINE_PID" ] || return 0
  kill -TERM "$ENGINE_PID" 2>/dev/null || true
  local deadline=$(( $(now) + 120 ))
  while kill -0 "$ENGINE_PID" 2>/dev/null; do
    if [ "$(now)" -ge "$deadline" ]; then kill -KILL "$ENGINE_PID" 2>/dev/null || true; fi
    sleep 0.2
  done
  ENGINE_PID=""
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$DAEMON_PID" ]; then kill -TERM "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; fi
  if [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
    # Only what the soak created (every resource of this engine is, but remove by label all the same).
    local ids
    ids=$($DOCKER ps -aq --filter "label=io.berth.host=$HOST" 2>/dev/null || true)
    [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null 2>&1
    ids=$($DOCKER network ls -q --filter "label=$LABEL=$RUN_ID" 2>/dev/null || true)
    [ -n "$ids" ] && $DOCKER network rm $ids >/dev/null 2>&1
    ids=$($DOCKER volume ls -q --filter "label=$LABEL=$RUN_ID" 2>/dev/null || true)
    [ -n "$ids" ] && $DOCKER volume rm -f $ids >/dev/null 2>&1
  fi
  engine_stop
  ip netns del "$NETNS" 2>/dev/null || true   # its bridge and veths go with it
  if [ "$KEEP" = 0 ]; then
    # The engine is stopped: its overlay mounts are gone; anything still mounted stays (rm stops at it).
    umount -R "$ENGINE/exec" 2>/dev/null || true
    rm -rf "$ENGINE" "$REPO" "$GEN" 2>/dev/null || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

engine_start
event engine-started "pid $ENGINE_PID, $($DOCKER version --format '{{.Server.Version}}'), pool $POOL"
"$ROOT/scripts/build-test-images.sh" 2>>"$OUT/dockerd.log"   # DOCKER_HOST: into the soak's engine

# ---------------------------------------------------------------- the repository and the daemon
declare -a REVS
generate() {   # writes the stack with REVS[i] as service i's revision, commits with message $1
  $PY "$ROOT/bench/generate.py" --run "$RUN_ID" --host "$HOST" --stack "$STACK" --interval "$HEALTH_INTERVAL" \
    --n "$SERVICES" --rev 0 --only berth --out "$GEN"
  # generate.py gives every service the same revision; set each service's own (BENCH_REV and the label).
  local revs; revs=$(IFS=,; echo "${REVS[*]}")
  $PY - "$GEN/berth/stacks/$STACK/compose.yaml" "$revs" <<'EOF'
import re, sys
path, revs = sys.argv[1], sys.argv[2].split(",")
index, out = -1, []
for line in open(path, encoding="utf-8"):
    if re.match(r"^  s\d+:$", line):
        index += 1
    if index >= 0 and re.match(r'^      (BENCH_REV|io\.berth-bench\.rev): "', line):
        key = line.split(":")[0]
        line = f'{key}: "{revs[index]}"\n'
    out.append(line)
open(path, "w", encoding="utf-8").write("".join(out))
EOF
  cp -r "$GEN/berth/." "$REPO/"
  git -C "$REPO" add -A
  git -C "$REPO" -c user.name=soak -c user.email=soak@localhost commit -qm "$1"
}
for ((i = 0; i < SERVICES; i++)); do REVS[i]=0; done
mkdir -p "$STATE"; chmod 700 "$STATE"
git init -q -b main "$REPO"
generate "rev 0"

for port in $(shuf -i 19000-19699 -n 50); do ss -Hltn "sport = :$port" | grep -q . || break; done
URL=http://127.0.0.1:$port
cat >"$OUT/berth.yaml" <<EOF
host: $HOST
listen: 127.0.0.1:$port
stateDir: $STATE
dockerHost: unix://$SOCK
reconcile:
  interval: ${PASS_INTERVAL}s
  jitter: 2s
  retryInitialDelay: 2s
  retryMaxDelay: 30s
source:
  url: $REPO
  branch: main
EOF
dotnet "$BERTH_DLL" daemon --config "$OUT/berth.yaml" >>"$OUT/daemon.log" 2>&1 &
DAEMON_PID=$!
event daemon-started "pid $DAEMON_PID, $SERVICES services, pass interval ${PASS_INTERVAL}s, health interval ${HEALTH_INTERVAL}s"

# ---------------------------------------------------------------- observations
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
metric_sum() {   # the sum of a metric's series from /metrics (0 when absent or unreachable)
  curl -fsS --max-time 5 "$URL/metrics" 2>/dev/null | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%d", s }'
}
service_rows() {   # "service rev state health" for each container of the soak's host
  $DOCKER ps -a --filter "label=io.berth.host=$HOST" \
    --format '{{.Label "io.berth.service"}} {{.Label "io.berth-bench.rev"}} {{.State}} {{.Status}}' 2>/dev/null
}
converged() {   # every service: exactly one container, running, healthy, on its committed revision
  local rows; rows=$(service_rows) || return 1
  local i name
  for ((i = 0; i < SERVICES; i++)); do
    name=$(printf 's%03d' $((i + 1)))
    [ "$(grep -c "^$name " <<<"$rows")" = 1 ] || return 1
    grep -q "^$name ${REVS[i]} running .*(healthy)" <<<"$rows" || return 1
  done
}
PENDING_EVENTS=""
echo "time,elapsed_s,rss_kib,threads,fds,state_bytes,passes,pass_exceptions,running,healthy,events" >"$OUT/samples.csv"
sample() {
  kill -0 "$DAEMON_PID" 2>/dev/null || die "the daemon exited (see $OUT/daemon.log)"
  local rss threads fds state_bytes rows running healthy
  rss=$(proc_field "$DAEMON_PID" VmRSS); threads=$(proc_field "$DAEMON_PID" Threads)
  fds=$(find "/proc/$DAEMON_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  state_bytes=$(stat -c %s "$STATE/state-$HOST.json" 2>/dev/null || echo 0)
  rows=$(service_rows || true)
  running=$(grep -c ' running ' <<<"$rows" || true); healthy=$(grep -c '(healthy)' <<<"$rows" || true)
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(date -u +%FT%TZ)" "$(( $(now) - START ))" "$rss" "$threads" "$fds" \
    "$state_bytes" "$(metric_sum berth_reconcile_passes_total)" "$(metric_sum berth_reconcile_pass_exceptions_total)" \
    "$running" "$healthy" "$PENDING_EVENTS" >>"$OUT/samples.csv"
  PENDING_EVENTS=""
}

# ---------------------------------------------------------------- faults
# Commits change the first half of the services, drifts hit the second half: a drift that stops the very
# container a rollout is health-gating is a failed rollout (rightly: it is indistinguishable from a crash),
# which is not what the soak is about. Engine restarts hit everything, rollouts included, on purpose.
COMMITS=0; DRIFTS=0; RESTARTS=0
HALF=$(( SERVICES / 2 ))
commit_one() {
  local index=$(( COMMITS % HALF ))
  COMMITS=$((COMMITS + 1))
  REVS[index]=c$COMMITS
  generate "soak commit $COMMITS: s$(printf '%03d' $((index + 1))) to c$COMMITS"
  event commit "$(git -C "$REPO" rev-parse --short HEAD) s$(printf '%03d' $((index + 1))) -> c$COMMITS"
}
drift_one() {
  local name container network kind
  name=$(printf 's%03d' $(( HALF + DRIFTS % (SERVICES - HALF) + 1 )))
  # Only a replica that has proven itself (healthy): one berth has just started and is gating (after an engine
  # restart, say) stopped by hand fails its deploy, which the gate rightly reports; that is not drift.
  container=$($DOCKER ps -q --filter "label=io.berth.host=$HOST" --filter "label=io.berth.service=$name" --filter health=healthy | head -n 1)
  kind=$(( DRIFTS % 3 ))
  DRIFTS=$((DRIFTS + 1))
  if [ -z "$container" ]; then event drift-skipped "$name has no healthy container"; return; fi
  case $kind in
    0) $DOCKER stop -t 0 "$container" >/dev/null 2>&1 && event drift "$name stopped" ;;
    1) $DOCKER rm -f "$container" >/dev/null 2>&1 && event drift "$name removed" ;;
    2) network=$($DOCKER inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$container" | awk '{print $1}')
       $DOCKER network disconnect -f "$network" "$container" >/dev/null 2>&1 && event drift "$name disconnected from $network" ;;
  esac
}
restart_engine() {
  RESTARTS=$((RESTARTS + 1))
  engine_stop
  event engine-stopped "restart $RESTARTS"
  engine_start
  event engine-started "pid $ENGINE_PID"
}

# ---------------------------------------------------------------- the run
# Faults start once the first deployment has converged (its own failures are not the soak's subject);
# samples start at once, so the graphs show the deployment too.
next_sample=$(now)
deploy_deadline=$(( $(now) + 4 * PASS_INTERVAL + 3 * HEALTH_INTERVAL + 4 * SERVICES + 120 ))
until converged; do
  [ "$(now)" -lt "$deploy_deadline" ] || die "the first deployment did not converge within $(( deploy_deadline - START )) s"
  if [ "$(now)" -ge "$next_sample" ]; then sample; next_sample=$(( next_sample + SAMPLE )); fi
  sleep 1
done
event deployed "$SERVICES services running and healthy"
next_commit=$(( $(now) + COMMIT_EVERY )); next_drift=$(( $(now) + DRIFT_EVERY ))
next_restart=$(( $(now) + RESTART_EVERY )); end=$(( $(now) + DURATION ))
while [ "$(now)" -lt "$end" ]; do
  t=$(now)
  if [ "$t" -ge "$next_restart" ]; then restart_engine; next_restart=$(( $(now) + RESTART_EVERY )); fi
  if [ "$t" -ge "$next_commit" ]; then commit_one; next_commit=$(( t + COMMIT_EVERY )); fi
  if [ "$t" -ge "$next_drift" ]; then drift_one; next_drift=$(( t + DRIFT_EVERY )); fi
  if [ "$t" -ge "$next_sample" ]; then sample; next_sample=$(( next_sample + SAMPLE )); fi
  sleep 1   # the schedule's tick (not a synchronisation: every check above compares the clock)
done
event faults-stopped "commits $COMMITS, drifts $DRIFTS, engine restarts $RESTARTS"

# ---------------------------------------------------------------- data checks
# The host must converge on the last commit without help: no sync, no restart of the daemon. Bound:
# an engine restart's every service started again plus a health interval, a few passes and rollouts.
CHECKS_PASSED=0; CHECKS_FAILED=0; FAILURES=""
check() {   # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then CHECKS_PASSED=$((CHECKS_PASSED + 1)); else CHECKS_FAILED=$((CHECKS_FAILED + 1)); FAILURES="$FAILURES; $name"; event check-failed "$name"; fi
}
converge_deadline=$(( $(now) + 4 * PASS_INTERVAL + 3 * HEALTH_INTERVAL + 4 * SERVICES + 60 ))
while ! converged && [ "$(now)" -lt "$converge_deadline" ]; do
  if [ "$(now)" -ge "$next_sample" ]; then sample; next_sample=$(( next_sample + SAMPLE )); fi
  sleep 1
done
check "every service running, healthy, on its committed revision, one container each" converged
sample
head_rev=$(git -C "$REPO" rev-parse HEAD)
status_json=$(curl -fsS --max-time 10 "$URL/status" || echo '{}')
applied=$($PY -c 'import json,sys; d=json.loads(sys.argv[1]); print((d.get("lastApplied") or {}).get("revision",""))' "$status_json")
check "the daemon reports the last commit applied ($head_rev)" test "$applied" = "$head_rev"
check "the daemon never exited" kill -0 "$DAEMON_PID"
exceptions=$(metric_sum berth_reconcile_pass_exceptions_total)
check "no pass threw (berth_reconcile_pass_exceptions_total = $exceptions)" test "$exceptions" = 0
# An engine outage is transient: it must never be held against a revision. Every pass's outcome is in the
# log (the state file keeps only the last 20): a Stalled pass, or a revision in failed_revisions, is a violation.
stalled=$(grep -c '): Stalled (' "$OUT/daemon.log" || true)
stalled_reasons=$(grep -o '): Stalled ([A-Za-z]*)' "$OUT/daemon.log" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $4; sep=", "}' || true)
check "no pass Stalled ($stalled in daemon.log${stalled_reasons:+: $stalled_reasons})" test "$stalled" = 0
failed_revisions=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("failed_revisions") or {}))' \
  "$STATE/state-$HOST.json" 2>/dev/null || echo "unreadable")
check "no revision marked failed in the state file ($failed_revisions)" test "$failed_revisions" = 0
check "no container outside the stack's services" test "$(service_rows | wc -l)" = "$SERVICES"

PASSES=$(metric_sum berth_reconcile_passes_total)
FAULTS=$((COMMITS + DRIFTS + RESTARTS))
set +e
TREND=$($PY "$ROOT/chaos/soak_report.py" "$OUT/samples.csv" --warmup "$WARMUP")
trend_status=$?
set -e
echo "$TREND" >"$OUT/trend.txt"
[ "$trend_status" = 0 ] || { CHECKS_FAILED=$((CHECKS_FAILED + 1)); FAILURES="$FAILURES; growth trend"; }
verdict=ok; [ "$CHECKS_FAILED" = 0 ] || verdict=FAILED
duration_min=$(( ($(now) - START) / 60 ))
# The suite's summary format (tests/Berth.Tests.Faults, FaultsSummary): "berth faults [profile] scenario: ...,
# faults injected N, passes N, data checks N: ok", also appended to the file scripts/test.sh prints.
SUMMARY="berth faults [$PROFILE] soak: $SERVICES services, $duration_min min, faults injected $FAULTS ($COMMITS commits, $DRIFTS drifts, $RESTARTS engine restarts), passes $PASSES, data checks $((CHECKS_PASSED + CHECKS_FAILED)) ($CHECKS_FAILED failed): $verdict"
{
  echo "$TREND"
  [ -z "$FAILURES" ] || echo "failed:${FAILURES#;}"
  echo "$SUMMARY"
} | tee "$OUT/summary.txt"
echo "$SUMMARY" >>"${BERTH_FAULTS_SUMMARY:-${TMPDIR:-/tmp}/berth-faults-summary.txt}" 2>/dev/null || true
[ "$verdict" = ok ]
