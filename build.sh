#!/usr/bin/env bash
# Builds the solution and publishes the shipped commands NativeAOT into one folder, artifacts/bin:
# strata (the client, the in-process engine and `strata daemon`) and strata-runtime (and strata-monitor
# once it exists), side by side, so the engine finds the runtime next to itself and PATH needs one entry.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Strata.slnx -c Release -nologo -clp:ErrorsOnly
for project in src/Strata.Runtime.Cli src/Strata.Monitor src/Strata.Cli; do
  if [ -d "$project" ]; then
    dotnet publish "$project" -c Release -o artifacts/bin -nologo -clp:ErrorsOnly
  fi
done
