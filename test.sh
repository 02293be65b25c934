#!/usr/bin/env bash
# Runs every test project. Root: the integration tests create real namespaces, cgroups and mounts.
# Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
./build.sh || { echo "0 passed, 1 failed (build)"; exit 1; }
export STRATA_RUNTIME="$PWD/artifacts/bin/strata-runtime"
log=$(mktemp)
# One assembly at a time: the integration, image and cgroup tests share the kernel (mounts, cgroups).
dotnet test Strata.slnx -c Release --no-build -nologo -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One summary line per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
passed=$(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Passed: *([0-9]+).*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+),.*/\1/' | awk '{s+=$1} END {print s+0}')
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a test host crashed or a project did not run: never report green
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
