#!/usr/bin/env bash
# Builds the partial-lora command (Release, incremental) and runs it with the given arguments.
# Build messages go to stderr so the command's own output stays clean.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build "$here/src/PartialLoRA.Cli/PartialLoRA.Cli.csproj" -c Release --nologo -v q -clp:"ErrorsOnly;NoSummary" >&2
exec dotnet "$here/src/PartialLoRA.Cli/bin/Release/net10.0/partial-lora.dll" "$@"
