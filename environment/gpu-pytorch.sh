# Source this on a machine with a CUDA build of PyTorch to run partial-lora on its libtorch:
#   source environment/gpu-pytorch.sh [python3]
# Sets PARTIALLORA_LIBTORCH to torch/lib and puts it and the nvidia/*/lib folders of the same
# site-packages on LD_LIBRARY_PATH (the loader then finds cuBLAS, cuDNN, NCCL, ...).
_py="${1:-python3}"
_tl="$("$_py" -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")')" || return 1
_sp="$(dirname "$(dirname "$_tl")")"
_nv="$(ls -d "$_sp"/nvidia/*/lib 2>/dev/null | tr '\n' ':')"
export PARTIALLORA_LIBTORCH="$_tl"
export LD_LIBRARY_PATH="$_tl:${_nv}${LD_LIBRARY_PATH:-}"
echo "PARTIALLORA_LIBTORCH=$PARTIALLORA_LIBTORCH" >&2
unset _py _tl _sp _nv
