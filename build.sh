#!/usr/bin/env bash
# Builds the solution and publishes strata-runtime (NativeAOT) to artifacts/bin.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Strata.slnx -c Release -nologo -clp:ErrorsOnly
dotnet publish src/Strata.Runtime.Cli -c Release -o artifacts/bin -nologo -clp:ErrorsOnly
