#!/usr/bin/env bash
# The project's test command (README "Run the tests"): every unit and integration test on CPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
dotnet test PartialLoRA.Notebooks.sln -c Release --nologo -v q --logger "console;verbosity=normal" "$@"
