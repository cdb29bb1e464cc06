#!/usr/bin/env bash
# One GPU session of issue 10's benchmark: our `bench finetune`, the PyTorch + PEFT reference and Algorithm 1 on
# ViT-B/16, side by side on one machine, every result into $OUT. See BENCHMARKS.md ("Running a GPU session").
#
#   here:        bash environment/pack-for-device.sh        # .carry/: .NET runtime + partial-lora (TorchBackend=external)
#   on the GPU:  bash tools/bench/run-gpu-session.sh [stage ...]   (with .carry carried; OUT set by the device tool)
#
# Stages (default: all, in this order). One device command may run 10 minutes at most and the machine is handed back
# after 30 s idle, so run three device calls back to back (each carrying .carry; COMMIT=<hash> names the commit):
#   call 1  `info smoke`          ~2.5 min   (stage limits 90 + 100 + 150 s)
#   call 2  `ours eager derive`   ~6 min     (stage limits 300 + 90 + 180 s)
#   call 3  `reference`           ~4 min     (stage limit 420 s)
#   info       nvidia-smi, Python package versions, `partial-lora info --check`
#   smoke      both benchmarks at a tiny size on the CPU: catches an API break before the long stages
#   ours       partial-lora bench finetune, every method, CUDA, each in its own process
#   eager      our LoRA and eval with eager attention, to show what SDPA buys
#   derive     partial-lora bench derive --preset clip-vit-b16 (importance + Algorithm 1)
#   reference  tools/bench/peft_reference.py, every method, CUDA, each in its own process
# Then, here: python3 tools/bench/make_table.py --ours .../ours.json --reference .../reference.json \
#               --derive .../derive.json --eager .../ours-eager.json --nvidia-smi .../nvidia-smi.txt
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?OUT must name the folder for the results (the device tool sets it)}"
mkdir -p "$OUT"
[ -f .carry/dotnet.tar.xz ] && [ -f .carry/app/partial-lora.dll ] || {
  echo "error: .carry/ is missing: run 'bash environment/pack-for-device.sh' here and carry .carry" >&2; exit 2; }

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(info smoke ours eager derive reference)
ours() { bash environment/run-on-device.sh "$@"; }
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/session.log" >&2; }
stage() {  # stage NAME TIMEOUT_S COMMAND...
  local name=$1 limit=$2; shift 2
  log "$name: start (limit ${limit} s)"
  local t0=$SECONDS
  timeout "$limit" "$@"
  local rc=$?
  log "$name: exit $rc after $((SECONDS - t0)) s"
  return $rc
}
tiny=(--preset clip-vit-lab-tiny --image 32 --batch 4 --warmup 1 --windows 1 --steps 1
      --methods lora,partial-60-compact,partial-60-dense,dora,vera,adalora,full,eval)

failed=0
for s in "${stages[@]}"; do
  case "$s" in
    info)
      { nvidia-smi; echo; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv; } \
        > "$OUT/nvidia-smi.txt" 2>&1
      python3 -c 'import sys, torch, transformers, peft; print("python", sys.version.split()[0]); print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version()); print("transformers", transformers.__version__); print("peft", peft.__version__)' \
        > "$OUT/python-versions.txt" 2>&1
      echo "commit ${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}" >> "$OUT/python-versions.txt"
      stage info 90 bash -c 'bash environment/run-on-device.sh info --check > "$OUT/info.txt" 2>&1' || failed=1 ;;
    smoke)
      stage smoke-ours 100 bash -c "$(declare -f ours); ours bench finetune --device cpu --threads 4 ${tiny[*]} --out \"\$OUT/smoke-ours.json\" > \"\$OUT/smoke-ours.txt\" 2>&1" || failed=1
      stage smoke-reference 150 bash -c "python3 tools/bench/peft_reference.py --device cpu --threads 4 ${tiny[*]} --out \"\$OUT/smoke-reference.json\" > \"\$OUT/smoke-reference.txt\" 2>&1" || failed=1 ;;
    ours)
      stage ours 300 bash -c "$(declare -f ours); ours bench finetune --device cuda --out \"\$OUT/ours.json\" > \"\$OUT/ours.txt\" 2>&1" || failed=1 ;;
    reference)
      stage reference 420 bash -c "python3 tools/bench/peft_reference.py --device cuda --out \"\$OUT/reference.json\" > \"\$OUT/reference.txt\" 2>&1" || failed=1 ;;
    derive)
      stage derive 180 bash -c "$(declare -f ours); ours bench derive --device cuda --preset clip-vit-b16 --json > \"\$OUT/derive.json\" 2> \"\$OUT/derive.err\"" || failed=1 ;;
    eager)
      stage eager 90 bash -c "$(declare -f ours); ours bench finetune --device cuda --methods lora,eval --attention eager --out \"\$OUT/ours-eager.json\" > \"\$OUT/ours-eager.txt\" 2>&1" || failed=1 ;;
    *) echo "error: unknown stage '$s' (info, smoke, ours, reference, derive, eager)" >&2; exit 2 ;;
  esac
done
exit $failed
