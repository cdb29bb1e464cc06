using System.Reflection;
using System.Text.RegularExpressions;
using TorchSharp;

namespace PartialLoRA.Runtime;

/// <summary>What <c>partial-lora info</c> prints: versions, backend, device, CUDA devices, threads, denormal mode, GLIBCXX fix.</summary>
public sealed record RuntimeReport(
    string TorchSharpVersion,
    string LibTorchVersion,
    string Backend,
    string Device,
    IReadOnlyList<CudaDeviceInfo> CudaDevices,
    int CpuThreads,
    int ProcessorCount,
    string CpuBf16Support,
    string Denormals,
    string GlibcxxFix)
{
    public static RuntimeReport Collect(TorchRuntimeState? state = null)
    {
        state ??= TorchRuntime.Current;
        var asm = typeof(torch).Assembly;
        var tsVersion = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                        ?? asm.GetName().Version?.ToString() ?? "?";
        var plus = tsVersion.IndexOf('+');
        if (plus > 0) tsVersion = tsVersion[..plus];
        var backend = state.Backend switch
        {
            TorchBackend.Cpu => "cpu (TorchSharp-cpu)",
            TorchBackend.Cuda => "cuda (TorchSharp-cuda-linux)",
            _ => $"external libtorch at {state.LibTorchDir}",
        };
        var libtorch = state.Backend == TorchBackend.ExternalLibTorch
            ? ExternalVersion(state.LibTorchDir!) ?? "unknown (external)"
            : $"{torch.__version__} (TorchSharp package)";
        return new RuntimeReport(tsVersion, libtorch, backend, state.Device.ToString(),
            state.CudaAvailable ? CudaDriver.Devices() : [], state.Threads, Environment.ProcessorCount,
            CpuBf16.Describe(CpuBf16.Native()), Runtime.Denormals.Describe(state.Denormals), state.Glibcxx.Describe());
    }

    // PyTorch installs have torch/version.py beside torch/lib; libtorch zips have build-version beside lib/.
    private static string? ExternalVersion(string libDir)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(libDir));
        if (parent == null) return null;
        var py = Path.Combine(parent, "version.py");
        if (File.Exists(py))
        {
            var m = Regex.Match(File.ReadAllText(py), @"__version__\s*=\s*['""]([^'""]+)['""]");
            if (m.Success) return m.Groups[1].Value + " (PyTorch)";
        }
        var bv = Path.Combine(parent, "build-version");
        return File.Exists(bv) ? File.ReadAllText(bv).Trim() + " (libtorch)" : null;
    }

    public IEnumerable<(string Key, string Value)> Lines()
    {
        yield return ("TorchSharp", TorchSharpVersion);
        yield return ("libtorch", LibTorchVersion);
        yield return ("backend", Backend);
        yield return ("device", Device);
        if (CudaDevices.Count == 0) yield return ("cuda", "not available");
        foreach (var d in CudaDevices)
            yield return ($"cuda:{d.Index}", $"{d.Name}, {d.TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB");
        yield return ("cpu threads", $"{CpuThreads} (of {ProcessorCount} processors)");
        yield return ("cpu bf16", CpuBf16Support);
        yield return ("denormals", Denormals);
        yield return ("glibcxx fix", GlibcxxFix);
    }
}
