#!/usr/bin/env bash
# Rollout downtime benchmark: berth start-first, berth stop-first and docker-compose (v1.29.2),
# side by side in ONE run on the local Docker Engine, plus a check of Docker's embedded DNS on
# network join/leave. Results and interpretation: docs/benchmarks.md.
#
#   scripts/bench/rollout-downtime.sh            # K=10 rollouts per scenario, ~4-6 minutes
#   BENCH_K=3 scripts/bench/rollout-downtime.sh  # quicker
#
# Scenarios (each does K rollouts alternating berth-test/busybox:2 / :1, under continuous traffic):
#   F  as A, with x-berth: { front: true }: a front holds the alias and forwards to proven replicas.
#   A  berth, start-first, 2 replicas, no published port. Client container on the stack's network
#      requests http://web:8080/version by DNS alias (a fresh wget process per request, so a fresh
#      DNS lookup each time). Reports requests, failed requests, failures per rollout.
#   B  berth, stop-first, 1 replica published on 127.0.0.1:PORT. Client on the host (loopback).
#      Reports the downtime window per rollout (last success before the first failure -> first
#      success after the last failure), min/median/max.
#   C  docker-compose up -d on the same service definition (same compose file as B), same probe.
#   D  Docker DNS join/leave: a second container joins an alias (after it listens) and leaves it
#      (network disconnect) DNS_CYCLES times under 200 ms requests; failures counted after each event.
#
# Everything it creates carries the label io.berth-bench.run=RUN_ID (containers, networks) or a
# berth host identity / compose project unique to the run, and is removed at exit, even on failure.
# Output: a table on stdout; raw data under $BENCH_OUT (default: a temp dir, kept and printed).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
ROOT=$PWD

K=${BENCH_K:-10}
SETTLE_S=${BENCH_SETTLE_S:-2}              # quiet time after each rollout (failures are attributed to the rollout before)
DNS_CYCLES=${BENCH_DNS_CYCLES:-12}
PAUSE_MS=${BENCH_PAUSE_MS:-15}            # probe pause between requests (>= 20 requests/s on a loaded 2-core box)
PAUSE_US=$((PAUSE_MS * 1000)); PAUSE_S=$(printf '0.%03d' "$PAUSE_MS")
APPLY_TIMEOUT_S=${BENCH_APPLY_TIMEOUT_S:-120}
DOCKER=/usr/bin/docker
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

RUN_ID=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
LABEL=io.berth-bench.run
WORK=$(mktemp -d "/tmp/berth-bench-$RUN_ID.XXXX")
OUT=${BENCH_OUT:-$WORK/out}
mkdir -p "$OUT"
HOST_A=bench-$RUN_ID-a; HOST_B=bench-$RUN_ID-b; HOST_F=bench-$RUN_ID-f
STACK_A=bencha$RUN_ID; STACK_B=benchb$RUN_ID; STACK_F=benchf$RUN_ID; PROJECT_C=benchc$RUN_ID
BG_PIDS=()

exec {LOGFD}>&2   # the script's stderr, also from a trap that fires inside a redirected command
log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&"$LOGFD"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo "${t:0:13}"; }

cleanup() {
  local rc=$?
  set +e
  log "cleaning up run $RUN_ID"
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [ -f "$WORK/c/compose.yaml" ] && command -v docker-compose >/dev/null; then
    TAG=1 PORT=${PORT:-0} RUN_ID=$RUN_ID docker-compose -p "$PROJECT_C" -f "$WORK/c/compose.yaml" down -v -t 2 >/dev/null 2>&1
  fi
  local filters=(--filter "label=$LABEL=$RUN_ID")
  for f in "label=$LABEL=$RUN_ID" "label=io.berth.host=$HOST_A" "label=io.berth.host=$HOST_B" "label=io.berth.host=$HOST_F" "label=com.docker.compose.project=$PROJECT_C"; do
    ids=$($DOCKER ps -aq --filter "$f")
    [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null 2>&1
  done
  for f in "label=$LABEL=$RUN_ID" "label=io.berth.host=$HOST_A" "label=io.berth.host=$HOST_B" "label=io.berth.host=$HOST_F" "label=com.docker.compose.project=$PROJECT_C"; do
    for n in $($DOCKER network ls -q --filter "$f"); do
      for try in 1 2 3; do $DOCKER network rm "$n" >/dev/null 2>&1 && break; sleep 1; done
    done
    vols=$($DOCKER volume ls -q --filter "$f")
    [ -n "$vols" ] && $DOCKER volume rm $vols >/dev/null 2>&1
  done
  left=$($DOCKER ps -aq "${filters[@]}"; $DOCKER network ls -q "${filters[@]}")
  [ -n "$left" ] && log "WARNING: left behind: $left"
  rm -rf "$WORK/a" "$WORK/b" "$WORK/c" "$WORK/f" "$WORK/state-a" "$WORK/state-b" "$WORK/state-f"
  case $OUT in "$WORK"/*) ;; *) rm -rf "$WORK" ;; esac
  log "raw data kept in $OUT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
scripts/ensure-docker.sh
scripts/build-test-images.sh
if ! command -v docker-compose >/dev/null; then
  log "installing docker-compose (Debian, v1) with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
log "building berth (Release)"
dotnet build src/Daemon/Daemon.csproj -c Release --nologo -v quiet >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
BERTH_DLL=$ROOT/src/Daemon/bin/Release/net10.0/berth.dll

# A free loopback port for the published scenarios.
PORT=${BENCH_PORT:-}
if [ -z "$PORT" ]; then
  for p in $(shuf -i 18000-18999 -n 50); do
    if ! ss -Hltn "sport = :$p" | grep -q .; then PORT=$p; break; fi
  done
fi
[ -n "$PORT" ] || { log "no free port found"; exit 1; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/load.txt"
log "run $RUN_ID: K=$K, port 127.0.0.1:$PORT, $(nproc) cores, Docker $($DOCKER version --format '{{.Server.Version}}'), $(docker-compose version --short 2>/dev/null)"

HEALTHCHECK='    healthcheck:
      test: ["CMD-SHELL", "timeout 2 wget -q -O- http://127.0.0.1:8080/version || exit 1"]
      interval: 1s
      timeout: 2s
      retries: 3
      start_period: 1s'

# Each request is a new busybox wget process: no connection reuse and a fresh DNS lookup (no cache
# in the container), as a client that resolves the service name per request would see it.
# Prints "<counter> ok <body>" or "<counter> FAIL"; the time comes from `docker logs -t`.
CLIENT_LOOP='n=0; while true; do n=$((n+1)); if body=$(timeout 2 wget -q -O- "$URL"); then echo "$n ok $body"; else echo "$n FAIL"; fi; usleep $PAUSE_US; done'
CLIENT_LOOP=${CLIENT_LOOP//\$PAUSE_US/$PAUSE_US}

# The same probe from the host, with a GNU-side timestamp (ms, taken when the request completed).
# No subshell for the clock ($EPOCHREALTIME) and no sleep process (read -t on a silent pipe), so the
# loop runs about as fast as the container's.
host_probe() {
  local url=$1 body t ok sleepfd
  exec {sleepfd}<> <(:)
  while :; do
    if body=$(timeout 2 /bin/busybox wget -q -O- "$url" 2>/dev/null); then ok="ok $body"; else ok=FAIL; fi
    t=${EPOCHREALTIME/./}
    echo "${t:0:13} $ok"
    read -r -t "$PAUSE_S" -u "$sleepfd" || true
  done
}

berth() { # host state-dir repo
  timeout "$APPLY_TIMEOUT_S" dotnet "$BERTH_DLL" --state-dir "$2" apply --repo "$3" --host "$1"
}

# Timestamps every line of a command's output (host ms), so berth's steps line up with the probe.
stamp() { while IFS= read -r line; do echo "$(now_ms) $line"; done; }

# rollouts FILE NAME CMD...: K rollouts alternating tags; CMD gets the tag as its last argument.
rollouts() {
  local file=$1 name=$2; shift 2
  : >"$file"
  for i in $(seq 1 "$K"); do
    local tag=$(( i % 2 == 1 ? 2 : 1 )) t0 t1 rc=0
    t0=$(now_ms)
    "$@" "$tag" >>"$OUT/$name-apply.log" 2>&1 || rc=$?
    t1=$(now_ms)
    echo "$i $t0 $t1 $rc $tag" >>"$file"
    log "$name rollout $i -> :$tag: $((t1 - t0)) ms, exit $rc"
    sleep "$SETTLE_S"
  done
}

wait_for_ok() { # file min-ok-count timeout-s
  local deadline=$((SECONDS + $3)) n
  while :; do
    n=$(grep -c ' ok ' "$1" 2>/dev/null) || true
    [ "${n:-0}" -lt "$2" ] || return 0
    [ $SECONDS -lt $deadline ] || { log "the probe saw no answers in $3 s ($1)"; tail -5 "$1" >&2; return 1; }
    sleep 0.2
  done
}

# ---------------------------------------------------------------- A/F: berth start-first, 2 replicas, by alias
# A: the replicas hold the alias (Docker's DNS). F: the same with x-berth.front, a front holds it.
# alias_scenario NAME HOST STACK X-BERTH-LINE: writes NAME-probe-raw.txt, NAME-rollouts.txt, NAME-span.txt.
apply_alias() { # tag (ALIAS_DIR, ALIAS_HOST, ALIAS_STATE: the scenario being run)
  sed -i "s/TAG: \"[0-9]\"/TAG: \"$1\"/" "$ALIAS_DIR/berth.yaml"
  berth "$ALIAS_HOST" "$ALIAS_STATE" "$ALIAS_DIR" | stamp; return "${PIPESTATUS[0]}"
}

alias_scenario() {
  local name=$1 host=$2 stack=$3 extension=$4
  ALIAS_DIR="$WORK/$name" ALIAS_HOST=$host ALIAS_STATE="$WORK/state-$name"
  mkdir -p "$ALIAS_DIR" "$ALIAS_STATE"
  cat >"$ALIAS_DIR/berth.yaml" <<EOF
hosts:
  $host: {}
stacks:
  $stack:
    compose: compose.yaml
    hosts: [$host]
    vars: { TAG: "1" }
EOF
  cat >"$ALIAS_DIR/compose.yaml" <<EOF
services:
  web:
    image: berth-test/busybox:\${TAG}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    init: true
    labels: { $LABEL: "$RUN_ID" }
    networks: [backend]
$extension
$HEALTHCHECK
    deploy:
      replicas: 2
      update_config: { order: start-first }
networks:
  backend:
    labels: { $LABEL: "$RUN_ID" }
EOF
  log "$name: initial apply"
  apply_alias 1 >"$OUT/$name-apply.log" 2>&1 || { cat "$OUT/$name-apply.log" >&2; exit 1; }
  local net client="bench-$RUN_ID-client-$name" deadline start
  net=$($DOCKER network ls --filter "label=io.berth.host=$host" --format '{{.Name}}' | head -1)
  $DOCKER run -d --name "$client" --label "$LABEL=$RUN_ID" --init --network "$net" \
    -e URL=http://web:8080/version berth-test/busybox:1 sh -c "$CLIENT_LOOP" >/dev/null
  deadline=$((SECONDS + 30))
  until [ "$($DOCKER logs "$client" 2>/dev/null | grep -c ' ok ')" -ge 5 ]; do
    [ $SECONDS -lt $deadline ] || { log "$name: client sees no answers"; exit 1; }
    sleep 0.3
  done
  start=$(now_ms)
  rollouts "$OUT/$name-rollouts.txt" "$name" apply_alias
  echo "$start $(now_ms)" >"$OUT/$name-span.txt"
  $DOCKER logs -t "$client" >"$OUT/$name-probe-raw.txt" 2>/dev/null
  $DOCKER rm -f "$client" >/dev/null
}

alias_scenario a "$HOST_A" "$STACK_A" ""
alias_scenario f "$HOST_F" "$STACK_F" "    x-berth: { front: true }"

# ---------------------------------------------------------------- B/C: one service definition, published port
write_published_compose() { # dir order-line
  mkdir -p "$1"
  cat >"$1/compose.yaml" <<EOF
services:
  web:
    image: berth-test/busybox:\${TAG}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    init: true
    labels: { $LABEL: "$RUN_ID" }
    ports: ["127.0.0.1:\${PORT}:8080"]
$HEALTHCHECK
EOF
}

# B: berth stop-first (the default for a fixed host port; stated explicitly here anyway).
write_published_compose "$WORK/b"
cat >>"$WORK/b/compose.yaml" <<EOF
    deploy:
      update_config: { order: stop-first }
EOF
mkdir -p "$WORK/state-b"
cat >"$WORK/b/berth.yaml" <<EOF
hosts:
  $HOST_B: {}
stacks:
  $STACK_B:
    compose: compose.yaml
    hosts: [$HOST_B]
    vars: { TAG: "1", PORT: "$PORT" }
EOF
berth_b() { sed -i "s/TAG: \"[0-9]\"/TAG: \"$1\"/" "$WORK/b/berth.yaml"; berth "$HOST_B" "$WORK/state-b" "$WORK/b" | stamp; return "${PIPESTATUS[0]}"; }

run_published() { # name apply-fn
  local name=$1 fn=$2
  host_probe "http://127.0.0.1:$PORT/version" >"$OUT/$name-probe.txt" &
  BG_PIDS+=($!)
  local probe_pid=$!
  wait_for_ok "$OUT/$name-probe.txt" 5 30
  local start; start=$(now_ms)
  rollouts "$OUT/$name-rollouts.txt" "$name" "$fn"
  echo "$start $(now_ms)" >"$OUT/$name-span.txt"
  kill "$probe_pid" 2>/dev/null; wait "$probe_pid" 2>/dev/null || true
}

log "B: berth stop-first, 1 replica, published port: initial apply"
berth_b 1 >"$OUT/b-apply.log" 2>&1 || { cat "$OUT/b-apply.log" >&2; exit 1; }
run_published b berth_b
# Free the port for C.
printf 'hosts:\n  %s: {}\nstacks: {}\nsettings: { allow_empty_state: true }\n' "$HOST_B" >"$WORK/b/berth.yaml"
berth "$HOST_B" "$WORK/state-b" "$WORK/b" >>"$OUT/b-apply.log" 2>&1 || $DOCKER rm -f $($DOCKER ps -aq --filter "label=io.berth.host=$HOST_B") >/dev/null 2>&1 || true

# C: docker-compose v1 up -d with the same definition (no deploy: compose v1 has no update order).
write_published_compose "$WORK/c"
compose_c() { TAG=$1 PORT=$PORT docker-compose -p "$PROJECT_C" -f "$WORK/c/compose.yaml" up -d 2>&1 | stamp; return "${PIPESTATUS[0]}"; }
log "C: docker-compose up -d: initial up"
compose_c 1 >"$OUT/c-apply.log" 2>&1 || { cat "$OUT/c-apply.log" >&2; exit 1; }
run_published c compose_c
TAG=1 PORT=$PORT docker-compose -p "$PROJECT_C" -f "$WORK/c/compose.yaml" down -v -t 2 >>"$OUT/c-apply.log" 2>&1 || true

# ---------------------------------------------------------------- D: Docker DNS join / leave
# Two containers serve a 200 ms CGI (/cgi-bin/slow prints the container's hostname): "stay" always
# holds the alias svc; "mover" joins the network with the alias (long after it listens), stays 2 s,
# leaves (docker network disconnect), stays away 2 s. Three clients loop on http://svc:8080/cgi-bin/slow.
SLOW_CMD='mkdir -p /www/cgi-bin && printf "#!/bin/sh\necho Content-Type: text/plain\necho\nusleep 200000\nhostname\n" >/www/cgi-bin/slow && busybox chmod +x /www/cgi-bin/slow && exec httpd -f -p 8080 -h /www'
NET_D=bench-$RUN_ID-dns; PARK_D=bench-$RUN_ID-park
$DOCKER network create --label "$LABEL=$RUN_ID" "$NET_D" >/dev/null
$DOCKER network create --label "$LABEL=$RUN_ID" "$PARK_D" >/dev/null
$DOCKER run -d --name "bench-$RUN_ID-stay" --hostname stay --label "$LABEL=$RUN_ID" --init --network "$NET_D" --network-alias svc \
  berth-test/busybox:1 sh -c "$SLOW_CMD" >/dev/null
$DOCKER run -d --name "bench-$RUN_ID-mover" --hostname mover --label "$LABEL=$RUN_ID" --init --network "$PARK_D" \
  berth-test/busybox:1 sh -c "$SLOW_CMD" >/dev/null
for c in 1 2 3; do
  $DOCKER run -d --name "bench-$RUN_ID-dclient$c" --label "$LABEL=$RUN_ID" --init --network "$NET_D" \
    -e URL=http://svc:8080/cgi-bin/slow berth-test/busybox:1 sh -c "$CLIENT_LOOP" >/dev/null
done
dclient_logs() { for c in 1 2 3; do $DOCKER logs -t "bench-$RUN_ID-dclient$c" 2>/dev/null | sed "s/^/$c /"; done; }
deadline=$((SECONDS + 30))
until [ "$(dclient_logs | grep -c ' ok ')" -ge 6 ]; do [ $SECONDS -lt $deadline ] || { log "D: clients see no answers"; exit 1; }; sleep 0.3; done
log "D: $DNS_CYCLES join/leave cycles"
: >"$OUT/d-events.txt"
for i in $(seq 1 "$DNS_CYCLES"); do
  $DOCKER network connect --alias svc "$NET_D" "bench-$RUN_ID-mover"
  echo "$(now_ms) join $i" >>"$OUT/d-events.txt"
  sleep 2
  echo "$(now_ms) leave-start $i" >>"$OUT/d-events.txt"
  $DOCKER network disconnect "$NET_D" "bench-$RUN_ID-mover"
  echo "$(now_ms) leave $i" >>"$OUT/d-events.txt"
  sleep 2
done
dclient_logs >"$OUT/d-probe-raw.txt"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"

# ---------------------------------------------------------------- analysis
"$PY" - "$OUT" "$K" "$PAUSE_MS" <<'PYEOF'
import sys, os, statistics, datetime
out, K = sys.argv[1], int(sys.argv[2])

def docker_ts_ms(ts):  # 2026-11-25T20:01:02.123456789Z
    base, frac = ts.rstrip('Z').split('.')
    dt = datetime.datetime.strptime(base, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp() * 1000) + int(frac[:3].ljust(3, '0'))

def read_host_probe(path):
    rows = []
    for line in open(path):
        p = line.split()
        if len(p) >= 2 and p[0].isdigit():
            rows.append((int(p[0]), p[1] == 'ok', p[2] if len(p) > 2 else ''))
    return rows

def read_container_probe(path, prefix=False):
    rows = []
    for line in open(path):
        p = line.split()
        client = p.pop(0) if prefix else ''
        if len(p) >= 3:
            rows.append((docker_ts_ms(p[0]), p[2] == 'ok', p[3] if len(p) > 3 else '', client))
    rows.sort()
    return rows

def read_rollouts(path):
    return [tuple(int(x) for x in line.split()) for line in open(path) if line.strip()]

def outages(rows, lo, hi):
    """Runs of consecutive failed requests completing in [lo, hi]. Each outage's window is the time
    from the last success before it to the first success after it (what a client saw as down)."""
    runs, cur = [], None
    for idx, r in enumerate(rows):
        if not (lo <= r[0] <= hi):
            continue
        if not r[1]:
            cur = [idx, idx] if cur is None else [cur[0], idx]
        elif cur is not None:
            runs.append(cur); cur = None
    if cur is not None:
        runs.append(cur)
    res = []
    for a, b in runs:
        before = next((rows[j][0] for j in range(a - 1, -1, -1) if rows[j][1]), None)
        after = next((rows[j][0] for j in range(b + 1, len(rows)) if rows[j][1]), None)
        res.append(dict(before=before, after=after, n=b - a + 1,
                        ms=(after - before) if before is not None and after is not None else None))
    return res

def timeouts(rows, lo, hi):
    """Failed requests that took >= 1.5 s (the client's 2 s timeout), not a fast refusal."""
    return sum(1 for prev, r in zip(rows, rows[1:]) if lo <= r[0] <= hi and not r[1] and r[0] - prev[0] >= 1500)

def windows(rows, rollouts, settle_ms=2000):
    res = []
    for i, t0, t1, rc, tag in rollouts:
        lo, hi = t0, t1 + settle_ms
        inside = [r for r in rows if lo <= r[0] <= hi]
        outs = outages(rows, lo, hi)
        down = sum(o['ms'] for o in outs) if all(o['ms'] is not None for o in outs) else None
        after_bodies = [r[2] for r in rows if r[1] and r[0] > t1]
        res.append(dict(i=i, ms=t1 - t0, rc=rc, tag=tag, n=len(inside), fail=sum(1 for r in inside if not r[1]),
                        timeouts=timeouts(rows, lo, hi), outs=outs, down=down,
                        longest=max((o['ms'] or 0 for o in outs), default=0),
                        detail=', '.join(f"{o['ms']}ms@+{(o['before'] - t0) / 1000:.1f}s" if o['ms'] is not None else '?' for o in outs) or '-',
                        served=after_bodies[0] if after_bodies else '?'))
    return res

def mmm(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), statistics.median(xs), max(xs)) if xs else (None, None, None)

def fmt3(t): return ' / '.join('-' if x is None else f'{x:.0f}' for x in t)

lines = []
def emit(s=''): print(s); lines.append(s)

summary = {}
for name, title in (('a', 'A berth start-first, 2 replicas, by DNS alias'),
                    ('f', 'F berth start-first, 2 replicas, behind a front (x-berth.front)'),
                    ('b', 'B berth stop-first, 1 replica, published port'),
                    ('c', 'C docker-compose 1.29.2 up -d, published port')):
    rows = read_container_probe(f'{out}/{name}-probe-raw.txt') if name in 'af' else read_host_probe(f'{out}/{name}-probe.txt')
    ro = read_rollouts(f'{out}/{name}-rollouts.txt')
    span0, span1 = (int(x) for x in open(f'{out}/{name}-span.txt').read().split())
    span = [r for r in rows if span0 <= r[0] <= span1]
    w = windows(rows, ro)
    total_fail = sum(1 for r in span if not r[1])
    rate = len(span) / ((span1 - span0) / 1000)
    emit(f'== {title}')
    emit(f'   requests {len(span)} ({rate:.1f}/s), failed {total_fail} (client timeouts {timeouts(rows, span0, span1)}), outside rollout windows {total_fail - sum(x["fail"] for x in w)}')
    emit('   rollout  apply_ms  exit  ->tag  served  requests  failed  timeouts  downtime_ms  outages (window@offset from apply start)')
    for x in w:
        emit(f'   {x["i"]:7d}  {x["ms"]:8d}  {x["rc"]:4d}  {x["tag"]:5d}  {x["served"]:>6}  {x["n"]:8d}  {x["fail"]:6d}  {x["timeouts"]:8d}  {"?" if x["down"] is None else x["down"]:>11}  {x["detail"]}')
    summary[name] = dict(title=title, req=len(span), rate=rate, fail=total_fail, timeouts=timeouts(rows, span0, span1),
                         fpr=[x['fail'] for x in w], opr=[len(x['outs']) for x in w], down=mmm([x['down'] for x in w]),
                         longest=mmm([x['longest'] for x in w]), apply=mmm([x['ms'] for x in w]),
                         bad=sum(1 for x in w if x['rc'] != 0 or str(x['served']) != str(x['tag'])))

# D: DNS join/leave
rows = read_container_probe(f'{out}/d-probe-raw.txt', prefix=True)
PAUSE_MS = int(sys.argv[3])
ev = [line.split() for line in open(f'{out}/d-events.txt')]
joins = [int(e[0]) for e in ev if e[1] == 'join']
leaves = [(int(a[0]), int(b[0])) for a, b in zip([e for e in ev if e[1] == 'leave-start'], [e for e in ev if e[1] == 'leave'])]
# Each request as (start, end, ok, body): start = the same client's previous completion + the loop's pause.
reqs = []
for c in sorted(set(r[3] for r in rows)):
    cr = [r for r in rows if r[3] == c]
    reqs += [(prev[0] + PAUSE_MS, r[0], r[1], r[2]) for prev, r in zip(cr, cr[1:])]
def started_in(lo, hi): return [q for q in reqs if lo <= q[0] < hi]
# Joins: requests started after the join and done before the leave began (those still in flight
# when it began count for the leave).
join_win = [[q for q in started_in(j, s) if q[1] < s] for j, (s, e) in zip(joins, leaves)]
join_fail = [sum(1 for q in w if not q[2]) for w in join_win]
join_mover = sum(1 for w in join_win for q in w if q[2] and q[3] == 'mover')
# Leaves: requests in flight at some point of the disconnect call, or started up to 2 s after it.
leave_win = [[q for q in reqs if q[0] <= e + 2000 and q[1] >= s] for s, e in leaves]
leave_fail = [sum(1 for q in w if not q[2]) for w in leave_win]
inflight = [q for s, e in leaves for q in reqs if q[0] <= e and q[1] >= s]
d_all = [q for q in reqs if joins and joins[0] <= q[0] <= leaves[-1][1] + 2000]
d_to = sum(1 for q in d_all if not q[2] and q[1] - q[0] >= 1500)
d_fail = sum(1 for q in d_all if not q[2])
emit('== D Docker DNS: a replica joining / leaving an alias under 200 ms requests (3 clients)')
emit(f'   requests {len(d_all)}, failed {d_fail} (client timeouts {d_to})')
emit(f'   joins : requests started while the newcomer held the alias {sum(map(len, join_win))}, answered by it {join_mover}, failed (started after the join, done before the leave) {sum(join_fail)} {join_fail}')
emit(f'   leaves: failed requests in flight or started within 2 s {sum(leave_fail)} {leave_fail}')
emit(f'           in flight during the disconnect call: {len(inflight)}: failed {sum(1 for q in inflight if not q[2])}, '
     f'answered by the leaving container {sum(1 for q in inflight if q[2] and q[3] == "mover")}, by the other {sum(1 for q in inflight if q[2] and q[3] == "stay")}')

emit()
emit('| scenario | rollouts | requests (rate) | failed (client timeouts) | failed per rollout | outages per rollout | downtime per rollout, ms: min / median / max | longest outage, ms: min / median / max | apply, ms: min / median / max |')
emit('|---|---|---|---|---|---|---|---|---|')
for name in 'afbc':
    s = summary[name]
    emit(f'| {s["title"]} | {K}{" (" + str(s["bad"]) + " bad)" if s["bad"] else ""} | {s["req"]} ({s["rate"]:.0f}/s) | {s["fail"]} ({s["timeouts"]}) | {" ".join(map(str, s["fpr"]))} | {" ".join(map(str, s["opr"]))} | {fmt3(s["down"])} | {fmt3(s["longest"])} | {fmt3(s["apply"])} |')
emit(f'| D Docker DNS: {len(joins)} joins, {len(leaves)} leaves | - | {len(d_all)} | {d_fail} ({d_to}) | join: {sum(join_fail)}, leave: {sum(leave_fail)} | - | - | - | - |')
emit('F: the front holds the alias and its address for the whole rollout; only the replicas behind it change (docs/rollout.md).')
emit('A: an outage there is one client request that stalled until its 2 s timeout (the old replica left the network under it); the service kept answering.')
emit('B/C: an outage is consecutive failed requests; its window runs from the last success before it to the first success after it.')
open(f'{out}/summary.md', 'w').write('\n'.join(lines) + '\n')
PYEOF
cat "$OUT/load.txt" | tee -a "$OUT/summary.md"
log "done: $OUT/summary.md"
