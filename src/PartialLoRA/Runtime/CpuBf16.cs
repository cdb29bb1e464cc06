using TorchSharp;

namespace PartialLoRA.Runtime;

/// <summary>
/// Whether this CPU runs bf16 matrix products at speed. libtorch hands a CPU bf16 GEMM to oneDNN only when oneDNN
/// has a bf16 ISA for the CPU (AVX-512 core: avx512bw + avx512vl + avx512dq, or AVX-NE-CONVERT); otherwise it falls
/// back to a generic single-threaded kernel (<c>cpublas_gemm_impl</c>). Measured 2026-11-23 on an AVX2-only 2-core
/// EPYC: a bf16-autocast pretraining step of the lab ViT took over 8.4 s (50 steps not done in 7 min) against
/// 1.24 s in f32 — so bf16 autocast is a trap on such CPUs, and the pretraining commands say so.
/// </summary>
public static class CpuBf16
{
    public const string CpuInfoPath = "/proc/cpuinfo";

    /// <summary>True/false from the flags of <c>/proc/cpuinfo</c>; null where it cannot be read (not Linux).</summary>
    public static bool? Native() => File.Exists(CpuInfoPath) ? FromCpuInfo(File.ReadAllText(CpuInfoPath)) : null;

    /// <summary>The rule applied to the first <c>flags</c> line of a cpuinfo text; null when it has none.</summary>
    public static bool? FromCpuInfo(string cpuinfo)
    {
        var line = cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Contains(':'));
        if (line == null) return null;
        var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return (flags.Contains("avx512bw") && flags.Contains("avx512vl") && flags.Contains("avx512dq")) || flags.Contains("avx_ne_convert");
    }

    /// <summary>The <c>info</c> line.</summary>
    public static string Describe(bool? native) => native switch
    {
        true => "native (oneDNN: AVX-512 or AVX-NE-CONVERT)",
        false => "slow fallback (no AVX-512 / AVX-NE-CONVERT): use f32 on this CPU",
        null => "unknown (no /proc/cpuinfo)",
    };

    /// <summary>The warning below for this machine's CPU (reads <c>/proc/cpuinfo</c> only when bf16 on CPU is asked for).</summary>
    public static string? Warning(torch.Device device, bool bf16) =>
        bf16 && device.type == DeviceType.CPU ? Warning(device, bf16, Native()) : null;

    /// <summary>A warning when a bf16 forward pass is asked for on a CPU without native bf16; null otherwise.</summary>
    public static string? Warning(torch.Device device, bool bf16, bool? native)
    {
        if (!bf16 || device.type != DeviceType.CPU || native != false) return null;
        return "warning: bf16 autocast on a CPU without AVX-512 / AVX-NE-CONVERT: libtorch multiplies bf16 with a slow single-threaded "
             + "fallback (measured > 6× slower than f32 on an AVX2 EPYC); pass --precision f32";
    }
}
