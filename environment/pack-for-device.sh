#!/usr/bin/env bash
# Packs what a GPU machine without .NET needs into .carry/ (ignored by git, < 64 MiB):
#   .carry/dotnet.tar.xz  the .NET runtime (dotnet host + Microsoft.NETCore.App)
#   .carry/app/           partial-lora published for linux-x64 with TorchBackend=external (no libtorch;
#                         the machine's PyTorch provides it)
# On the device:  bash environment/run-on-device.sh info --check
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .carry
root="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
ver="$(ls "$root/shared/Microsoft.NETCore.App" | sort -V | tail -1)"
tar -C "$root" -cJf .carry/dotnet.tar.xz dotnet host "shared/Microsoft.NETCore.App/$ver"
rm -rf .carry/app
dotnet publish src/PartialLoRA.Cli -c Release -r linux-x64 --self-contained false \
  -p:TorchBackend=external -o .carry/app --nologo -v q
du -sh .carry/*
