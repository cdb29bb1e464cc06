using System.Runtime.InteropServices;

namespace PartialLoRA.Runtime;

/// <summary>
/// Loads the CUDA backend from an existing libtorch (e.g. <c>site-packages/torch/lib</c> of a PyTorch
/// install) named by PARTIALLORA_LIBTORCH. Its libraries are loaded by full path before TorchSharp's own
/// loader runs, so TorchSharp's lookups by name (<c>libtorch_cuda.so</c>) and LibTorchSharp's
/// dependencies resolve to them (the dynamic linker matches already-loaded libraries by soname).
/// </summary>
public static class ExternalLibTorch
{
    /// <summary>Loaded in this order; each one's dependencies come before it.</summary>
    public static readonly string[] RequiredLibraries = ["libc10.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];

    /// <summary>Throws a <see cref="TorchRuntimeException"/> naming the folder and what is missing.</summary>
    public static string Validate(string dir)
    {
        var src = $"{RuntimeOptions.LibTorchVariable}='{dir}'";
        if (!Directory.Exists(dir))
            throw new TorchRuntimeException(
                $"{src}: the folder does not exist. It must name the folder that holds libtorch_cuda.so, e.g. " +
                "$(python3 -c \"import torch,os;print(os.path.dirname(torch.__file__)+'/lib')\").");
        var full = Path.GetFullPath(dir);
        var missing = RequiredLibraries.Where(l => !File.Exists(Path.Combine(full, l))).ToList();
        if (missing.Count > 0)
            throw new TorchRuntimeException(
                $"{src}: the folder lacks {string.Join(", ", missing)}. It must be a CUDA build of libtorch " +
                "(a PyTorch install's torch/lib, or an unpacked libtorch-cxx11 CUDA zip's lib folder).");
        return full;
    }

    public static void Preload(string dir)
    {
        var full = Validate(dir);
        foreach (var lib in RequiredLibraries)
        {
            var path = Path.Combine(full, lib);
            try
            {
                NativeLibrary.Load(path);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                throw new TorchRuntimeException(
                    $"{RuntimeOptions.LibTorchVariable}='{dir}': could not load {lib}: {e.Message}. " +
                    "If a CUDA library is not found, add the nvidia/*/lib folders of that Python's site-packages to " +
                    "LD_LIBRARY_PATH (see environment/gpu-pytorch.sh).", e);
            }
        }
    }
}
