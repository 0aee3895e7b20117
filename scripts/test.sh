#!/usr/bin/env bash
# The whole test suite, from a fresh machine: engine, local images, build, every test project.
# Prints one closing line "berth tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-docker.sh
scripts/build-test-images.sh
scripts/ensure-prometheus.sh
scripts/ensure-git-tools.sh
scripts/ensure-compose.sh
scripts/ensure-age.sh
scripts/ensure-smtp.sh
scripts/ensure-registry.sh
scripts/ensure-netns-tools.sh
scripts/build-systemd-image.sh
scripts/remove-stale-test-resources.sh
dotnet build Reconciler.sln -c Release --nologo -v quiet

log=$(mktemp)
results=$(mktemp -d)
# The fault suite (tests/Berth.Tests.Faults) appends its summary lines here; printed after the run.
export BERTH_FAULTS_SUMMARY="$results/faults-summary.txt"
trap 'rm -rf "$log" "$results"' EXIT
# The .deb, built once (Native AOT, lintian-checked): the systemd suite installs it (BERTH_DEB), and every
# test that starts berth as a process runs its binary (BERTH_TEST_BINARY, tests/Shared/Launch), so the
# process-level tests check what ships. Either variable set beforehand is kept (a prebuilt package).
if [ -z "${BERTH_DEB:-}" ] || [ -z "${BERTH_TEST_BINARY:-}" ]; then
  deb_out="$results/deb"
  deb=$(BERTH_DEB_OUT="$deb_out" BERTH_LINTIAN=1 BERTH_DEB_COMPRESSION=gzip packaging/deb/build-deb.sh | tail -n 1)
  export BERTH_DEB=${BERTH_DEB:-$deb}
  export BERTH_TEST_BINARY=${BERTH_TEST_BINARY:-$(echo "$deb_out"/publish-*/berth)}
fi
echo "berth under test: $BERTH_TEST_BINARY (package $BERTH_DEB)"
set +e
# -m:1: one test project at a time. The engine, git and Prometheus projects each load the 2 cores
# with containers and servers; run together they starve each other's timing-sensitive probes.
# Berth.Tests.Faults runs its CI profile here; BERTH_FAULTS_PROFILE=long (docs/reliability.md) runs every point.
# The TRX files only feed the list of slowest tests below (CI's time is limited: it shows where it goes).
dotnet test Reconciler.sln -c Release --no-build --nologo -m:1 \
  --results-directory "$results" --logger "trx;LogFilePrefix=berth" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The slowest tests of the run, in seconds: where the suite's time goes.
echo "slowest tests:"
cat "$results"/*.trx 2>/dev/null \
  | sed -n 's/.*<UnitTestResult [^>]*testName="\([^"]*\)"[^>]*duration="\([0-9]*\):\([0-9]*\):\([0-9.]*\)".*/\2 \3 \4 \1/p' \
  | awk '{ printf "%8.1f s  %s\n", $1 * 3600 + $2 * 60 + $3, substr($0, index($0, $4)) }' \
  | sort -rn | head -n 15 || true

# What the fault suite injected and checked (docs/reliability.md): one line per scenario.
if [ -s "$BERTH_FAULTS_SUMMARY" ]; then
  echo "fault injection:"
  sed 's/^/  /' "$BERTH_FAULTS_SUMMARY"
fi

# Sum the per-project summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, ...").
awk '/(Passed|Failed)! +- +Failed:/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") failed += $(i+1); if ($i == "Passed:") passed += $(i+1); if ($i == "Skipped:") skipped += $(i+1) } }
     END { printf "berth tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }' "$log"
exit "$status"
