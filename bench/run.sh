#!/usr/bin/env bash
# berth vs docker-compose (1.29.2) vs an Ansible playbook (community.docker), side by side in one run on
# the local Docker Engine, plus the raw engine floor, Engine API request counts and the daemon's idle
# pass and webhook latency. What each scenario measures and the caveats: docs/benchmarks.md.
#
#   bench/run.sh                          # issue #16's run: sizes 10 50 200, every tool, ~45-50 min on main
#                                         # at 69c584d (docs/benchmarks.md, "Planning a run")
#   bench/run.sh --estimate               # print the plan and its estimated duration, run nothing
#   bench/run.sh --smoke                  # N=3, 1 repetition, every scenario: checks the harness (~5 min)
#   bench/run.sh --sizes "10 50" --reps 3 --tools "berth compose" --scenarios "deploy noop" --out DIR
#
# Options:
#   --sizes "N ..."      stack sizes (default "10 50 200")
#   --reps SPEC          repetitions: "R" for every size, or per size "10=1 50=2 200=1" (the default),
#                        or both ("2 200=1"); tools are interleaved within each repetition
#                        (berth, compose, ansible, raw; berth, compose, ...)
#   --tools "..."        any of: berth compose ansible raw (default: all)
#   --tool-sizes SPEC    sizes a tool runs at, ":R" capping its repetitions there (default "ansible=10":
#                        Ansible at 10 only; "ansible=10,50:1": also once at 50); "" runs every tool
#                        everywhere. Cells not run are listed in results.md.
#   --scenario-reps SPEC limits change all (the costliest scenario, no goal of its own) to the first R
#                        repetitions: "change-all=1", per size "change-all@200=0" (default
#                        "change-all=1 change-all@200=0"); "" measures it everywhere
#   --scenarios "..."    any of: deploy noop plan change-one change-all teardown api daemon
#                        (default: all; deploy and teardown always run for a tool that runs anything
#                        else, since the other scenarios need a deployed stack, but they are only
#                        recorded when asked for; "raw" runs its own floor scenarios; "api" counts
#                        Engine API requests of no-op converges; "daemon" is the idle-pass and webhook run)
#   --interval SPEC      health check interval in seconds: "S" for every stack, or per size as --reps
#                        does ("10 200=30", the default: 10 s, 30 s at N = 200, where 200 checks every 10 s
#                        are more than 2 cores can run: docs/benchmarks.md, "Health checks at N = 200");
#                        the daemon scenario uses the bare value
#   --quick-reps K       the no-op converge and the no-op plan (under a second for berth, a few for
#                        compose) run K times in a row in each repetition (default 5; Ansible's no-op once):
#                        a median of 3 samples of a sub-second command was decided by which one met a
#                        burst of the stack's own health checks (docs/benchmarks.md, "The fifth timed run")
#   --daemon-n N         services for the daemon scenario (default 20)
#   --daemon-passes K    idle passes measured (default 10; RSS is read after K+4 passes)
#   --webhooks K         commits pushed through the webhook (default 3)
#   --out DIR            output directory (default /tmp/berth-bench-<run id>); kept
#   --publish            (default) publish berth as the .deb does (packaging/deb/build-deb.sh, its
#                        BERTH_* switches from the environment) and run that binary: what users run
#   --build              instead, `dotnet build` src/Daemon and run `dotnet berth.dll` (faster to prepare)
#   --berth PATH         instead, run this berth executable (a publish output kept in an earlier run's
#                        OUT/publish/, the .deb's /usr/lib/berth/berth)
#   --estimate           print the plan (cells not run, estimated duration) and exit
#   --berth-units U      for the estimate only: services berth rolls out at once while their gates wait
#                        (default 0: no such bound since issue #16's fix; max(4, 2 x cores) for berth
#                        up to 69c584d)
#   --publish-only       publish berth (as --publish), print the --berth option that reuses it, exit:
#                        prepares a timed run ahead of its window
#   --smoke              --sizes 3 --reps 1 --tool-sizes "" --scenario-reps "" --daemon-n 3 --daemon-passes 2 --webhooks 1
#                        --interval 2 --quick-reps 2
#
# Needs root (apt, the engine's socket). Installs docker-compose and ansible (with community.docker) from
# Debian when missing; never pulls an image (berth-test/busybox:1 is built locally).
# Everything it creates carries io.berth-bench.run=<run id> (and run-unique berth host/stack names,
# compose project and container names); it is removed at the end, also on failure or Ctrl-C. Nothing
# else on the engine is touched.
set -euo pipefail
# The whole script is one block, read before any of it runs: a run takes ~45 minutes, and bash reads a
# script file as it goes, so editing or checking out another version of it meanwhile would otherwise
# change the running script.
{
export LC_ALL=C.UTF-8   # ansible refuses a non-UTF-8 locale
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench

# The defaults are issue #16's run, planned to fit a ~45-minute window on a quiet 2-core machine with
# berth as main at 69c584d rolls out (the estimate, bench/plan.py, and docs/benchmarks.md, "Planning a
# run"): the goals are judged at N = 50, N = 10 and 200 show growth, Ansible runs at 10 only.
SIZES="10 50 200"; REPS="10=1 50=2 200=1"; TOOLS="berth compose ansible raw"; TOOL_SIZES="ansible=10"
SCENARIO_REPS="change-all=1 change-all@200=0"; BERTH_UNITS=""; PUBLISH_ONLY=0
SCENARIOS="deploy noop plan change-one change-all teardown api daemon"
INTERVAL="10 200=30"; QUICK_REPS=5; DAEMON_N=20; DAEMON_PASSES=10; WEBHOOKS=3; OUT=""; SMOKE=0; BERTH_EXE=""; BERTH_FROM=publish
ESTIMATE_ONLY=0
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) SIZES=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --tool-sizes) TOOL_SIZES=$2; shift 2 ;;
    --scenario-reps) SCENARIO_REPS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --quick-reps) QUICK_REPS=$2; shift 2 ;;
    --daemon-n) DAEMON_N=$2; shift 2 ;;
    --daemon-passes) DAEMON_PASSES=$2; shift 2 ;;
    --webhooks) WEBHOOKS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --berth) BERTH_EXE=$2; BERTH_FROM=path; shift 2 ;;
    --publish) BERTH_FROM=publish; shift ;;
    --build) BERTH_FROM=build; shift ;;
    --estimate) ESTIMATE_ONLY=1; shift ;;
    --berth-units) BERTH_UNITS=$2; shift 2 ;;
    --publish-only) PUBLISH_ONLY=1; BERTH_FROM=publish; shift ;;
    --smoke) SMOKE=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$SMOKE" = 1 ]; then SIZES=3; REPS=1; TOOL_SIZES=""; SCENARIO_REPS=""; DAEMON_N=3; DAEMON_PASSES=2; WEBHOOKS=1; INTERVAL=2; QUICK_REPS=2; fi
has() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }   # has WORD "LIST"
# interval_at SIZE: the health-check interval of a stack of SIZE services (--interval SPEC); "" for the
# daemon's: the bare value.
interval_at() {
  local word bare=10
  for word in $INTERVAL; do
    case $word in
      *=*) [ "${word%%=*}" = "$1" ] && { echo "${word#*=}"; return; } ;;
      *) bare=$word ;;
    esac
  done
  echo "$bare"
}

# The plan: which (size, repetition, tool) cells run, in order, and the estimate (bench/plan.py).
tool_scenarios=0
for s in deploy noop plan change-one change-all teardown api; do has "$s" "$SCENARIOS" && tool_scenarios=1; done
plan_args=(--sizes "$SIZES" --reps "$REPS" --tools "$TOOLS" --tool-sizes "$TOOL_SIZES" --scenario-reps "$SCENARIO_REPS" --tool-scenarios "$tool_scenarios"
  --api "$(has api "$SCENARIOS" && echo 1 || echo 0)" --daemon "$(has daemon "$SCENARIOS" && echo 1 || echo 0)"
  --interval "$INTERVAL" --quick-reps "$QUICK_REPS" --daemon-n "$DAEMON_N" --daemon-passes "$DAEMON_PASSES" --webhooks "$WEBHOOKS" --berth-from "$BERTH_FROM"
  ${BERTH_UNITS:+--berth-units "$BERTH_UNITS"})
CELLS=$(/usr/bin/python3 bench/plan.py cells "${plan_args[@]}")
PLAN_NOTES=$(/usr/bin/python3 bench/plan.py estimate "${plan_args[@]}")
if [ "$ESTIMATE_ONLY" = 1 ]; then
  printf '%s\n' "$PLAN_NOTES"
  printf 'cells (size, repetition, tool, scenarios left out, estimated seconds), in run order:\n%s\n' "$(tr '\t' ' ' <<<"$CELLS")"
  exit 0
fi

DOCKER=/usr/bin/docker
PY=/usr/bin/python3            # Debian's python: python3-docker and ansible live there, not in a pyenv
RUN_ID=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
LABEL=io.berth-bench.run
OUT=${OUT:-/tmp/berth-bench-$RUN_ID}
WORK=$(mktemp -d "/tmp/berth-bench-work-$RUN_ID.XXXX")
mkdir -p "$OUT"
HOST=bench-$RUN_ID; STACK=bb$RUN_ID; PROJECT=bc$RUN_ID; APROJECT=ba$RUN_ID; RAWPREFIX=br$RUN_ID
DHOST=bench-$RUN_ID-d; DSTACK=bd$RUN_ID
PROXY_SOCK=$WORK/docker.sock; API_LOG=$OUT/api-requests.log
PROXY_PID=""; DAEMON_PID=""

exec {LOGFD}>&2
log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&"$LOGFD"; }
while IFS= read -r line; do log "plan: ${line#- }"; done <<<"$PLAN_NOTES"

# ---------------------------------------------------------------- cleanup: only what this run created
remove_run_resources() {
  local ids
  ids=$($DOCKER ps -aq --filter "label=$LABEL=$RUN_ID")
  [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null 2>&1
  # berth's own containers (a front, if any) carry its host label, not ours.
  for h in "$HOST" "$DHOST"; do
    ids=$($DOCKER ps -aq --filter "label=io.berth.host=$h")
    [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null 2>&1
  done
  local n try
  for n in $($DOCKER network ls -q --filter "label=$LABEL=$RUN_ID"); do
    for try in 1 2 3 4 5; do $DOCKER network rm "$n" >/dev/null 2>&1 && break; sleep 1; done
  done
  ids=$($DOCKER volume ls -q --filter "label=$LABEL=$RUN_ID")
  [ -n "$ids" ] && $DOCKER volume rm $ids >/dev/null 2>&1
  return 0
}
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  log "cleaning up run $RUN_ID"
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
  remove_run_resources
  local left
  left=$($DOCKER ps -aq --filter "label=$LABEL=$RUN_ID"; $DOCKER network ls -q --filter "label=$LABEL=$RUN_ID"; $DOCKER volume ls -q --filter "label=$LABEL=$RUN_ID")
  [ -n "$left" ] && log "WARNING: left behind: $(echo $left)"
  rm -rf "$WORK"
  log "results in $OUT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
scripts/ensure-docker.sh
scripts/build-test-images.sh
need=()
has compose "$TOOLS" && ! command -v docker-compose >/dev/null && need+=(docker-compose)
has ansible "$TOOLS" && ! command -v ansible-playbook >/dev/null && need+=(ansible)
[ -x /usr/bin/time ] || need+=(time)
[ -x "$PY" ] || need+=(python3)
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing from Debian: ${need[*]}"
  apt_get update -qq >/dev/null
  apt_get install -y -qq "${need[@]}" >/dev/null
fi
if has ansible "$TOOLS"; then
  modules=$(ansible-doc -l community.docker 2>/dev/null || true)
  grep -q '^community.docker.docker_container ' <<<"$modules" \
    || { log "community.docker is missing from ansible (Debian's ansible package ships it)"; exit 1; }
  $PY -c 'import docker' 2>/dev/null || { apt_get install -y -qq python3-docker >/dev/null; }
fi
# BERTH: the command that runs berth, word-split where it is used (no spaces in the path).
# BERTH_NOTE says in results.md which berth ran: how it was obtained and what kind of binary it is.
has berth "$TOOLS" || BERTH_FROM=none
case $BERTH_FROM in
  none) BERTH=false; BERTH_NOTE="not run" ;;
  path)
    [ -x "$BERTH_EXE" ] || { log "--berth $BERTH_EXE is not an executable"; exit 2; }
    BERTH=$(readlink -f "$BERTH_EXE")
    BERTH_NOTE="$($PY "$BENCH/berth_kind.py" "$BERTH"), run as \`$BERTH\` (--berth)" ;;
  publish)
    # Exactly what the .deb ships: build-deb.sh publishes and checks the binary (its BERTH_* switches,
    # e.g. how it compiles, come from this environment); gzip because the .deb itself is not used.
    log "publishing berth as the .deb does (packaging/deb/build-deb.sh; log: $OUT/publish.log)"
    publish_start=$SECONDS
    deb=$(BERTH_DEB_OUT=$OUT/publish BERTH_DEB_COMPRESSION=gzip BERTH_LINTIAN=0 packaging/deb/build-deb.sh 2>"$OUT/publish.log" | tail -n 1) \
      || { cat "$OUT/publish.log" >&2; log "publishing berth failed"; exit 1; }
    # build-deb.sh publishes into <out>/publish-<version>/ and names the .deb berth_<version>_<arch>.deb.
    version=$(basename "$deb" | cut -d_ -f2)
    BERTH=$OUT/publish/publish-$version/berth
    [ -x "$BERTH" ] || { log "no berth binary at $BERTH after build-deb.sh"; exit 1; }
    rm -f "$deb"
    switches=$(env | grep -E '^BERTH_(PUBLISH|AOT|R2R|TRIM)=' | sort | paste -sd' ' - || true)
    BERTH_NOTE="$($PY "$BENCH/berth_kind.py" "$BERTH"), published by packaging/deb/build-deb.sh${switches:+ with $switches} in $((SECONDS - publish_start)) s (\`--berth $BERTH\` reuses it)" ;;
  build)
    log "building berth (Release)"
    dotnet build src/Daemon/Daemon.csproj -c Release --nologo -v quiet >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
    BERTH="dotnet $ROOT/src/Daemon/bin/Release/net10.0/berth.dll"
    BERTH_NOTE="$($PY "$BENCH/berth_kind.py" "$ROOT/src/Daemon/bin/Release/net10.0/berth.dll"), Release build (--build)" ;;
esac
log "berth: $BERTH_NOTE"
if [ "$PUBLISH_ONLY" = 1 ]; then
  echo "--berth $BERTH"
  exit 0
fi
BERTH_STATE=$WORK/berth-state

# ---------------------------------------------------------------- the machine
{
  echo "## Run $RUN_ID, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB RAM, kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "- Docker $($DOCKER version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'), storage $($DOCKER info --format '{{.Driver}}'), $($DOCKER ps -q | wc -l) containers running at the start (others' too)"
  ansible_version=$(ansible --version 2>/dev/null || true)
  echo "- docker-compose $(docker-compose version --short 2>/dev/null || echo -), ansible $(sed -n '1s/^ansible //p' <<<"$ansible_version"), community.docker $(ansible-galaxy collection list community.docker 2>/dev/null | awk '/community.docker/{print $2}' | head -1)"
  echo "- berth $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + uncommitted changes in src/'), $BERTH_NOTE; .NET $(dotnet --version)"
  echo "- sizes: $SIZES; repetitions: $REPS (the no-op converge and plan $QUICK_REPS times in each); tools: $TOOLS; tool sizes: ${TOOL_SIZES:-every tool at every size}; scenario repetitions: ${SCENARIO_REPS:-all}; scenarios: $SCENARIOS; health check interval (s): $(for s in $SIZES; do printf "%s" "N = $s: $(interval_at "$s"), "; done)the daemon's: $(interval_at "")$(has daemon "$SCENARIOS" && echo "; daemon: $DAEMON_N services, $DAEMON_PASSES idle passes, $WEBHOOKS webhook commits")"
  printf '%s\n' "$PLAN_NOTES"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} >"$OUT/results.md"
cat "$OUT/results.md" >&"$LOGFD"
printf '# size\trep\ttool\tscenario\twall_s\tcpu_s\tmaxrss_kib\trc\tnote\n' >"$OUT/results.tsv"
: >"$OUT/api.tsv"; : >"$OUT/daemon.tsv"; : >"$OUT/load.tsv"; : >"$OUT/cells.tsv"
# What the summary needs beyond the measurements (bench/summarize.py reads it).
{ printf 'daemon_n\t%s\n' "$DAEMON_N"; for s in $SIZES; do printf 'interval_s@%s\t%s\n' "$s" "$(interval_at "$s")"; done; } >"$OUT/meta.tsv"

# ---------------------------------------------------------------- measuring
now() { echo "${EPOCHREALTIME}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

# timed CMD...: runs CMD under /usr/bin/time, output to $OUT/logs; sets T_WALL T_CPU T_RSS T_RC.
LOGSEQ=0
timed() {
  LOGSEQ=$((LOGSEQ + 1))
  local logf=$OUT/logs/$(printf '%04d' $LOGSEQ)-$T_NAME.log tf=$WORK/time.$LOGSEQ
  mkdir -p "$OUT/logs"
  echo "\$ $*" >"$logf"
  T_START=$(now)
  set +e
  /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >>"$logf" 2>&1
  T_RC=$?
  set -e
  T_END=$(now)
  # The last line: on a non-zero exit, time(1) writes "Command exited with non-zero status N" first.
  read -r _ u s m < <(tail -n 1 "$tf") || true
  T_CPU=$(awk -v u="${u:-0}" -v s="${s:-0}" 'BEGIN{printf "%.2f", u+s}'); T_RSS=${m:-0}
  T_WALL=$(elapsed "$T_START" "$T_END")
  [ "$T_RC" = 0 ] || log "  $T_NAME exited $T_RC (log: $logf)"
}

# wait_healthy TOOL REV COUNT: polls the list (never inspect) until COUNT containers of TOOL with label
# rev=REV are healthy. Compose v1 and Ansible return before health checks pass; berth's apply waits for
# its gates, so for berth this returns at once. Returns 1 after 600 s.
wait_healthy() {
  local tool=$1 rev=$2 count=$3 deadline=$((SECONDS + 600)) got
  while :; do
    got=$($DOCKER ps -q --filter "label=$LABEL=$RUN_ID" --filter "label=io.berth-bench.tool=$tool" \
      --filter "label=io.berth-bench.rev=$rev" --filter health=healthy | wc -l)
    [ "$got" -ge "$count" ] && return 0
    [ $SECONDS -ge $deadline ] && { log "  $tool: only $got of $count healthy at rev $rev after 600 s"; return 1; }
    sleep 0.2
  done
}

# record SIZE REP TOOL SCENARIO WALL CPU RSS RC NOTE
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$OUT/results.tsv"
  log "  N=$1 rep $2 $3 $4: ${5}s wall${6:+, ${6}s CPU}${7:+, $(( ${7:-0} / 1024 )) MiB} (rc $8)"
}

# measure SIZE REP TOOL SCENARIO REV COUNT CMD...: CMD, then wait until COUNT containers at REV are
# healthy (COUNT 0: no wait). Wall = command + wait; CPU and RSS = the command's.
measure() {
  local size=$1 rep=$2 tool=$3 scenario=$4 rev=$5 count=$6; shift 6
  T_NAME=$tool-$scenario-n$size-r$rep
  timed "$@"
  local rc=$T_RC
  # A failed command is recorded as it is: no waiting for containers it may have removed (a failed gate).
  if [ "$rc" = 0 ] && [ "$count" -gt 0 ] && ! wait_healthy "$tool" "$rev" "$count"; then rc=124; fi
  local wall; wall=$(elapsed "$T_START" "$(now)")
  has "$scenario" "$SCENARIOS" && record "$size" "$rep" "$tool" "$scenario" "$wall" "$T_CPU" "$T_RSS" "$rc" ""
  printf '%s\t%s\t%s\t%s\t%s\n' "$size" "$rep" "$tool" "$scenario" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.tsv"
}

# gen SIZE ARGS...: the stacks of SIZE services, each tool's, with that size's health-check interval.
gen() { local size=$1; shift; $PY "$BENCH/generate.py" --run "$RUN_ID" --host "$HOST" --stack "$STACK" --project "$APROJECT" --interval "$(interval_at "$size")" --n "$size" "$@"; }
# The measured commands, per tool. converge TOOL = deploy/no-op/change (the same command each time).
converge_cmd() {
  case $1 in
    berth) echo "$BERTH --state-dir $BERTH_STATE apply --repo $WORK/gen/berth --host $HOST" ;;
    compose) echo "docker-compose -p $PROJECT -f $WORK/gen/compose/compose.yaml up -d" ;;
    ansible) echo "env ANSIBLE_PYTHON_INTERPRETER=$PY ANSIBLE_LOCALHOST_WARNING=false ansible-playbook -i localhost, $WORK/gen/ansible/playbook.yml" ;;
  esac
}
teardown_cmd() {
  case $1 in
    berth) echo "$BERTH --state-dir $BERTH_STATE apply --repo $WORK/gen/berth --host $HOST" ;;
    compose) echo "docker-compose -p $PROJECT -f $WORK/gen/compose/compose.yaml down" ;;
    ansible) echo "env ANSIBLE_PYTHON_INTERPRETER=$PY ANSIBLE_LOCALHOST_WARNING=false ansible-playbook -i localhost, $WORK/gen/ansible/playbook.yml" ;;
  esac
}

# api_count SIZE TOOL LABEL CMD...: runs CMD with the engine behind the counting proxy.
api_count() {
  local size=$1 tool=$2 label=$3; shift 3
  local before after
  before=$(wc -l <"$API_LOG")
  T_NAME=$tool-api-$label-n$size
  DOCKER_HOST=unix://$PROXY_SOCK timed "$@"
  sleep 0.3
  after=$(wc -l <"$API_LOG")
  printf '%s\t%s\t%s\t%s\n' "$size" "$tool" "$label (rc $T_RC)" "$($PY "$BENCH/api_count.py" "$API_LOG" "$before" "$after")" >>"$OUT/api.tsv"
  log "  N=$size $tool $label: $(tail -1 "$OUT/api.tsv" | cut -f4) Engine API requests"
}

start_proxy() {
  : >>"$API_LOG"
  $PY "$BENCH/api_proxy.py" --listen "$PROXY_SOCK" --log "$API_LOG" &
  PROXY_PID=$!
  for _ in $(seq 50); do [ -S "$PROXY_SOCK" ] && return 0; sleep 0.1; done
  log "the counting proxy did not start"; exit 1
}
if has api "$SCENARIOS" || has daemon "$SCENARIOS"; then start_proxy; fi

# One tool's whole sequence at one size: deploy, no-op, plan, change one, change all, teardown.
tool_sequence() {
  local size=$1 rep=$2 tool=$3 left_out=$4
  gen "$size" --out "$WORK/gen" --rev 0 --only "$tool"
  # shellcheck disable=SC2046
  measure "$size" "$rep" "$tool" deploy 0 "$size" $(converge_cmd "$tool")
  local quick=$QUICK_REPS k; [ "$tool" = ansible ] && quick=1
  for k in $(seq "$quick"); do
    # shellcheck disable=SC2046
    measure "$size" "$rep" "$tool" noop 0 0 $(converge_cmd "$tool")
  done
  if [ "$tool" = berth ]; then
    for k in $(seq "$quick"); do
      measure "$size" "$rep" berth plan 0 0 $BERTH --state-dir "$BERTH_STATE" plan --repo "$WORK/gen/berth" --host "$HOST"
    done
  fi
  if has api "$SCENARIOS" && [ "$rep" = 1 ]; then
    api_count "$size" "$tool" "no-op converge" $(converge_cmd "$tool")
    [ "$tool" = berth ] && api_count "$size" berth "no-op plan" $BERTH --state-dir "$BERTH_STATE" plan --repo "$WORK/gen/berth" --host "$HOST"
  fi
  gen "$size" --out "$WORK/gen" --rev 0 --rev-one 1 --only "$tool"
  measure "$size" "$rep" "$tool" change-one 1 1 $(converge_cmd "$tool")
  if has api "$SCENARIOS" && [ "$rep" = 1 ] && [ "$tool" = berth ]; then
    gen "$size" --out "$WORK/gen" --rev 0 --only berth   # change s001 back, behind the proxy
    api_count "$size" berth "change one (to serving)" $(converge_cmd berth)
  fi
  # Change all only where it is recorded and the plan keeps it (--scenario-reps): at N = 200 it is
  # the costliest step of the run.
  if has change-all "$SCENARIOS" && ! has change-all "${left_out//,/ }"; then
    gen "$size" --out "$WORK/gen" --rev 2 --only "$tool"
    measure "$size" "$rep" "$tool" change-all 2 "$size" $(converge_cmd "$tool")
  fi
  gen "$size" --out "$WORK/gen" --rev 2 --empty --only "$tool"
  measure "$size" "$rep" "$tool" teardown 0 0 $(teardown_cmd "$tool")
  # Volumes are data: no tool's teardown removed them. Removed here, untimed, so the next deploy is cold.
  remove_run_resources
}

raw_floor() {
  local size=$1 rep=$2 json
  T_NAME=raw-floor-n$size-r$rep
  timed $PY "$BENCH/engine_floor.py" --n "$size" --run "$RUN_ID" --prefix "$RAWPREFIX" --interval "$(interval_at "$size")"
  json=$(tail -1 "$OUT/logs/$(printf '%04d' $LOGSEQ)-$T_NAME.log")
  if [ "$T_RC" != 0 ]; then record "$size" "$rep" raw create_start_seq 0 "" "" "$T_RC" "failed"; return; fi
  local key
  for key in create_start_seq create_start_seq_healthy create_start_par create_start_par_healthy list list_inspect remove; do
    record "$size" "$rep" raw "$key" "$($PY -c "import json,sys; print(json.loads(sys.argv[1])['$key'])" "$json")" "" "" 0 ""
  done
  remove_run_resources
}

# The cells in the plan's order (bench/plan.py: per size, per repetition, tool after tool). Each cell's
# duration goes to cells.tsv: the next run's estimate is fitted to those.
# After each cell the log projects the rest: the remaining cells' estimates scaled by how the cells so
# far compared with theirs.
RUN_START=$SECONDS
last=""; estimated_done=0; estimated_left=$(awk -F'\t' '{s += $5} END {print s + 0}' <<<"$CELLS")
while IFS=$'\t' read -r size rep tool left_out estimate; do
  [ -n "$size" ] || continue
  [ "$size/$rep" = "$last" ] || log "N=$size, repetition $rep (load $(cut -d' ' -f1-3 /proc/loadavg); $(( (SECONDS - RUN_START) / 60 )) min into the run)"
  last=$size/$rep
  cell_start=$(now)
  if [ "$tool" = raw ]; then raw_floor "$size" "$rep"; else tool_sequence "$size" "$rep" "$tool" "$left_out"; fi
  took=$(elapsed "$cell_start" "$(now)")
  printf '%s\t%s\t%s\t%s\t%s\n' "$size" "$rep" "$tool" "$took" "$estimate" >>"$OUT/cells.tsv"
  estimated_done=$((estimated_done + estimate)); estimated_left=$((estimated_left - estimate))
  log "  cell N=$size rep $rep $tool took ${took%.*} s (estimated $estimate s); the rest of the cells: about $(awk -v left="$estimated_left" -v done_est="$estimated_done" -v run="$((SECONDS - RUN_START))" 'BEGIN{printf "%.0f", left * (done_est > 0 ? run / done_est : 1) / 60}') min"
done <<<"$CELLS"

# ---------------------------------------------------------------- the daemon: idle passes and webhook
# A process's threads' time on CPU in nanoseconds, one "TID NS" line per thread (/proc/PID/task/*/schedstat),
# because utime+stime of /proc/PID/stat count 10 ms ticks, too coarse for a pass of a few milliseconds.
proc_threads_cpu() { local t ns; for t in /proc/"$1"/task/*; do ns=$(cut -d" " -f1 "$t/schedstat" 2>/dev/null) && [ -n "$ns" ] && printf "%s %s\n" "${t##*/}" "$ns"; done; }
# CPU seconds between two proc_threads_cpu readings, thread by thread: a thread that ended in between
# counts up to the first reading only (it is gone from the second), one that began counts from zero. A plain
# sum of all threads went negative when a pool thread with more time than the pass used ended meanwhile.
cpu_between() {
  awk 'NR == FNR { before[$1] = $2; next } { used += $2 - (($1 in before) ? before[$1] : 0) } END { printf "%.3f", used / 1e9 }' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}
proc_rss() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }

daemon_run() {
  local n=$DAEMON_N dir=$WORK/daemon port secret url token
  log "daemon: $n services, $DAEMON_PASSES idle passes, $WEBHOOKS webhook commits"
  mkdir -p "$dir/state"; chmod 700 "$dir/state"
  $PY "$BENCH/generate.py" --run "$RUN_ID" --host "$DHOST" --stack "$DSTACK" --interval "$(interval_at "")" --n "$n" --rev 0 --only berth --out "$dir/gen"
  git init -q -b main "$dir/repo"
  cp -r "$dir/gen/berth/." "$dir/repo/"
  git -C "$dir/repo" add -A
  git -C "$dir/repo" -c user.name=bench -c user.email=bench@localhost commit -qm "rev 0"
  secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'); printf '%s\n' "$secret" >"$dir/webhook-secret"; chmod 600 "$dir/webhook-secret"
  for port in $(shuf -i 19700-19999 -n 50); do ss -Hltn "sport = :$port" | grep -q . || break; done
  url=http://127.0.0.1:$port
  cat >"$dir/berth.yaml" <<EOF
host: $DHOST
listen: 127.0.0.1:$port
stateDir: $dir/state
dockerHost: unix://$PROXY_SOCK
reconcile:
  interval: 1h
  jitter: 1s
source:
  url: $dir/repo
  branch: main
webhooks:
  github:
    secretFile: $dir/webhook-secret
EOF
  # With the environment the installed unit gives it (packaging/systemd/berth.service, Environment=).
  local unit_env; unit_env=$(sed -n 's/^Environment=//p' "$ROOT/packaging/systemd/berth.service")
  # shellcheck disable=SC2086
  env $unit_env $BERTH daemon --config "$dir/berth.yaml" >"$OUT/daemon.log" 2>&1 &
  DAEMON_PID=$!
  # Its first pass (at start) deploys the stack; `sync` then waits for a pass of its own.
  local deadline=$((SECONDS + 120))
  until [ -s "$dir/state/http-token" ] && curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; do
    kill -0 "$DAEMON_PID" 2>/dev/null || { log "daemon exited; see $OUT/daemon.log"; DAEMON_PID=""; return 1; }
    [ $SECONDS -ge $deadline ] && { log "daemon did not answer within 120 s"; return 1; }
    sleep 0.5
  done
  dsync() { $BERTH sync --url "$url" --token-file "$dir/state/http-token" >>"$OUT/daemon-sync.log" 2>&1; }
  dsync || log "  first sync exited $?"   # waits behind the start pass, which deployed the stack
  wait_healthy berth 0 "$n" || true
  dsync || true                          # passes 1-3 done: start, two syncs; the host is converged
  # The informer does not keep a list that began within 1 s of the engine's last change (docs/reconcile.md,
  # "The daemon's informer"); the last containers just turned healthy. After that second, one more pass
  # lists and keeps it, so every measured pass is an idle one (nothing changed since the last list).
  sleep 2
  dsync || true
  local i before after cpu0 cpu1 t0 t1 idle0 passes=4
  for i in $(seq "$DAEMON_PASSES"); do
    # /sync allows 5 at once, then one per 10 s: without this pause a measured round trip would wait for the
    # rate limiter and take the daemon's background work of those seconds (the informer's events: every
    # health check is three exec events) into the pass. The pause is measured on its own instead.
    idle0=$(proc_threads_cpu "$DAEMON_PID"); t0=$(now); sleep 10.5
    printf 'background\t%s\t%s\n' "$(elapsed "$t0" "$(now)")" "$(cpu_between "$idle0" "$(proc_threads_cpu "$DAEMON_PID")")" >>"$OUT/daemon.tsv"
    before=$(wc -l <"$API_LOG"); cpu0=$(proc_threads_cpu "$DAEMON_PID"); t0=$(now)
    dsync || log "  idle sync $i exited non-zero"
    t1=$(now); sleep 0.2; cpu1=$(proc_threads_cpu "$DAEMON_PID"); after=$(wc -l <"$API_LOG")
    passes=$((passes + 1))
    local counted; counted=$($PY "$BENCH/api_count.py" "$API_LOG" "$before" "$after")
    # The pass's own duration, as `berth sync` reports it ("..., 0.2 s: ...").
    local pass_s; pass_s=$(tail -n 1 "$OUT/daemon-sync.log" | sed -n 's/.*Z, \([0-9.]*\) s: .*/\1/p')
    printf 'idle\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(elapsed "$t0" "$t1")" "$(cpu_between "$cpu0" "$cpu1")" \
      "$(cut -f1 <<<"$counted")" "$(proc_rss "$DAEMON_PID")" "$n" "$pass_s" >>"$OUT/daemon.tsv"
    [ "$i" = 1 ] && printf 'idle-kinds\t%s\n' "$(cut -f2 <<<"$counted")" >>"$OUT/daemon.tsv"
  done
  while [ $passes -lt $((DAEMON_PASSES + 2)) ]; do dsync || true; passes=$((passes + 1)); done
  printf 'rss\t%s\t\t\t%s\n' "$passes" "$(proc_rss "$DAEMON_PID")" >>"$OUT/daemon.tsv"
  log "  idle passes done; RSS $(( $(proc_rss "$DAEMON_PID") / 1024 )) MiB after $passes passes"

  # Commit to serving: change s001's environment, commit, POST a signed GitHub push event, and time
  # until the new container is healthy (its health check is a request to its own httpd: it serves).
  local k body sig code
  for k in $(seq "$WEBHOOKS"); do
    $PY "$BENCH/generate.py" --run "$RUN_ID" --host "$DHOST" --stack "$DSTACK" --interval "$(interval_at "")" --n "$n" --rev 0 --rev-one "w$k" --only berth --out "$dir/gen"
    cp -r "$dir/gen/berth/." "$dir/repo/"
    git -C "$dir/repo" -c user.name=bench -c user.email=bench@localhost commit -qam "rev w$k"
    body='{"ref":"refs/heads/main","after":"'$(git -C "$dir/repo" rev-parse HEAD)'"}'
    sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
    t0=$(now)
    code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/webhooks/github" -H 'Content-Type: application/json' \
      -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body")
    [ "$code" = 202 ] || log "  webhook answered $code"
    if wait_healthy berth "w$k" 1; then
      t1=$(now)
      printf 'webhook\t%s\t\t\t\t%s\n' "$(elapsed "$t0" "$t1")" "$n" >>"$OUT/daemon.tsv"
      log "  webhook $k: commit to serving in $(elapsed "$t0" "$t1") s"
    fi
    dsync || true   # let the pass end (monitor, old replica's stop) before the next commit
  done
  kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=""
  remove_run_resources
}
if has daemon "$SCENARIOS" && has berth "$TOOLS"; then
  command -v openssl >/dev/null || apt_get install -y -qq openssl >/dev/null
  cell_start=$(now)
  daemon_run || log "daemon scenario failed"
  printf 'daemon\t1\tberth\t%s\n' "$(elapsed "$cell_start" "$(now)")" >>"$OUT/cells.tsv"
fi

echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); during the run (1-min): $(cut -f5 "$OUT/load.tsv" | awk '{print $1}' | sort -n | sed -n '1p;$p' | paste -sd- -)" >>"$OUT/results.md"
echo "- took $(( (SECONDS - RUN_START) / 60 )) min $(( (SECONDS - RUN_START) % 60 )) s from the first cell to the end (per cell: cells.tsv)" >>"$OUT/results.md"
echo >>"$OUT/results.md"
$PY "$BENCH/summarize.py" "$OUT" >/dev/null
cat "$OUT/results.md"
exit 0
}
