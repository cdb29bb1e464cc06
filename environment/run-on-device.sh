#!/usr/bin/env bash
# Runs the packed partial-lora (environment/pack-for-device.sh) on a GPU machine that has PyTorch.
#   bash environment/run-on-device.sh info --check
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_ROOT=/tmp/dotnet
if [ ! -x "$DOTNET_ROOT/dotnet" ]; then mkdir -p "$DOTNET_ROOT" && tar -C "$DOTNET_ROOT" -xJf .carry/dotnet.tar.xz; fi
# shellcheck source=/dev/null
source environment/gpu-pytorch.sh
exec "$DOTNET_ROOT/dotnet" .carry/app/partial-lora.dll "$@"
