#!/usr/bin/env bash
# Builds the solution and publishes the shipped commands NativeAOT into one folder, artifacts/bin:
# strata (the client, the in-process engine and `strata daemon`), strata-runtime and strata-monitor, side by
# side, so the engine finds the runtime and the monitor next to itself and PATH needs one entry.
#
# Usage: ./build.sh [--publish-only]   (--publish-only: only the shipped commands, not the tests)
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" != --publish-only ]; then
  dotnet build Strata.slnx -c Release -nologo -clp:ErrorsOnly
fi
for project in src/Strata.Runtime.Cli src/Strata.Monitor src/Strata.Cli; do
  dotnet publish "$project" -c Release -o artifacts/bin -nologo -clp:ErrorsOnly
done
