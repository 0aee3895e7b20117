#!/usr/bin/env bash
# Removes what an earlier, killed test run left on the engine: containers, networks and volumes that carry
# the tests' label (berth.test.scope) or that berth created for a test's host identity (io.berth.host = "t"
# and 12 hex digits, the tests' scope ids), and that are older than BERTH_TEST_STALE_MINUTES (default 30).
#
# Why: every test removes what it created, but a run that is killed (CI's time limit, SIGKILL) cannot. A
# systemd container left behind keeps its berth reconciling against the engine, and leftovers accumulate on
# a machine that runs the suite again. The age bound keeps a test that is running right now (in another
# shell) safe: no test or fixture lives longer than a few minutes.
# Nothing else is touched: not berth's resources for other hosts (the example's "demo", a real host's), not
# anything unlabelled.
set -euo pipefail

DOCKER=/usr/bin/docker
STALE_MINUTES=${BERTH_TEST_STALE_MINUTES:-30}
SCOPE_LABEL=berth.test.scope
HOST_LABEL=io.berth.host
MANAGED_LABEL=io.berth.managed-by=berth
# The Compose-equivalence tests' docker-compose projects: "c" + a scope id.
COMPOSE_PROJECT_LABEL=com.docker.compose.project
cutoff=$(( $(date +%s) - STALE_MINUTES * 60 ))

# is_test_host VALUE: the tests' scope ids ("t" + 12 hex digits); the only berth host identities swept.
is_test_host() { [[ $1 =~ ^t[0-9a-f]{12}$ ]]; }
# is_test_compose_project VALUE: a docker-compose project a Compose-equivalence test made ("c" + a scope id).
is_test_compose_project() { [[ $1 =~ ^ct[0-9a-f]{12}$ ]]; }
# older CREATED: true when the engine's creation time is before the cutoff.
# The engine prints "2026-12-04 14:20:01 +0000 UTC" (list) or "2026-12-04T14:20:01Z" (inspect); date(1)
# refuses the zone name after the offset, so it is dropped.
older() { local created; created=$(date -d "${1% UTC}" +%s 2>/dev/null) || return 1; [ "$created" -lt "$cutoff" ]; }

removed=0
# Containers first (a network or volume in use cannot go).
while read -r id host created; do
  [ -n "$id" ] || continue
  older "$created" || continue
  $DOCKER rm --force --volumes "$id" >/dev/null 2>&1 && removed=$((removed + 1))
done < <(
  $DOCKER ps --all --filter "label=$SCOPE_LABEL" --format '{{.ID}} - {{.CreatedAt}}'
  $DOCKER ps --all --filter "label=$MANAGED_LABEL" --format "{{.ID}} {{.Label \"$HOST_LABEL\"}} {{.CreatedAt}}" \
    | while read -r id host created; do is_test_host "$host" && echo "$id $host $created"; done
  $DOCKER ps --all --filter "label=$COMPOSE_PROJECT_LABEL" --format "{{.ID}} {{.Label \"$COMPOSE_PROJECT_LABEL\"}} {{.CreatedAt}}" \
    | while read -r id project created; do is_test_compose_project "$project" && echo "$id $project $created"; done
)

while read -r id created; do
  [ -n "$id" ] || continue
  older "$created" || continue
  $DOCKER network rm "$id" >/dev/null 2>&1 && removed=$((removed + 1))
done < <(
  $DOCKER network ls --filter "label=$SCOPE_LABEL" --format '{{.ID}} {{.CreatedAt}}'
  $DOCKER network ls --filter "label=$MANAGED_LABEL" --format "{{.ID}} {{.Label \"$HOST_LABEL\"}} {{.CreatedAt}}" \
    | while read -r id host created; do is_test_host "$host" && echo "$id $created"; done
  $DOCKER network ls --filter "label=$COMPOSE_PROJECT_LABEL" --format "{{.ID}} {{.Label \"$COMPOSE_PROJECT_LABEL\"}} {{.CreatedAt}}" \
    | while read -r id project created; do is_test_compose_project "$project" && echo "$id $created"; done
)

# `volume ls` has no creation time: inspect each candidate.
while read -r name; do
  [ -n "$name" ] || continue
  older "$($DOCKER volume inspect --format '{{.CreatedAt}}' "$name" 2>/dev/null)" || continue
  $DOCKER volume rm --force "$name" >/dev/null 2>&1 && removed=$((removed + 1))
done < <(
  $DOCKER volume ls --quiet --filter "label=$SCOPE_LABEL"
  $DOCKER volume ls --filter "label=$MANAGED_LABEL" --format "{{.Name}} {{.Label \"$HOST_LABEL\"}}" \
    | while read -r name host; do is_test_host "$host" && echo "$name"; done
  $DOCKER volume ls --filter "label=$COMPOSE_PROJECT_LABEL" --format "{{.Name}} {{.Label \"$COMPOSE_PROJECT_LABEL\"}}" \
    | while read -r name project; do is_test_compose_project "$project" && echo "$name"; done
)

echo "remove-stale-test-resources: removed $removed resource(s) older than ${STALE_MINUTES} min left by earlier test runs" >&2
