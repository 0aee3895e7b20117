#!/usr/bin/env bash
# berth's main job on the example repository, against the local Docker Engine:
# engine (installed and started if none runs), local images, build, validate, apply, then a
# second plan that must show no changes.
set -euo pipefail
cd "$(dirname "$0")/.."
# The overrides exist for the test that runs this script (RunExampleScriptTests) on a renamed copy.
HOST=${BERTH_EXAMPLE_HOST:-demo}
STATE_DIR=${BERTH_EXAMPLE_STATE_DIR:-$PWD/.berth-state}
REPO=${BERTH_EXAMPLE_REPO:-examples/repo}

scripts/ensure-docker.sh
scripts/build-test-images.sh
dotnet build src/Daemon/Daemon.csproj -c Release --nologo -v quiet
berth() { dotnet src/Daemon/bin/Release/net10.0/berth.dll --state-dir "$STATE_DIR" "$@"; }

berth validate --repo "$REPO" --host "$HOST"
berth apply --repo "$REPO" --host "$HOST"
echo "--- second plan (expect: no changes)"
berth plan --repo "$REPO" --host "$HOST"
