using System.Globalization;

namespace PartialLoRA.Runtime;

/// <summary>What the user asked for: <c>auto</c> (CUDA when available, else CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
public sealed record DeviceRequest(DeviceRequestKind Kind, int Index = 0)
{
    public static readonly DeviceRequest Auto = new(DeviceRequestKind.Auto);
    public static readonly DeviceRequest Cpu = new(DeviceRequestKind.Cpu);

    /// <param name="text">The value as written.</param>
    /// <param name="source">Where it came from (a flag or variable name), for the error message.</param>
    public static DeviceRequest Parse(string text, string source)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t is "auto" or "") return Auto;
        if (t == "cpu") return Cpu;
        if (t == "cuda") return new DeviceRequest(DeviceRequestKind.Cuda);
        if (t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var i))
            return new DeviceRequest(DeviceRequestKind.Cuda, i);
        throw new ArgumentException($"{source}='{text}': expected auto, cpu, cuda or cuda:N");
    }

    public override string ToString() => Kind switch
    {
        DeviceRequestKind.Auto => "auto",
        DeviceRequestKind.Cpu => "cpu",
        _ => $"cuda:{Index}",
    };
}

public enum DeviceRequestKind { Auto, Cpu, Cuda }

/// <summary>
/// How to start Torch. Precedence: explicit value (a CLI flag) &gt; environment variable &gt; default.
/// </summary>
public sealed record RuntimeOptions
{
    public const string DeviceVariable = "PARTIALLORA_DEVICE";
    public const string ThreadsVariable = "PARTIALLORA_THREADS";
    public const string LibTorchVariable = "PARTIALLORA_LIBTORCH";
    public const string DenormalsVariable = "PARTIALLORA_DENORMALS";

    public DeviceRequest Device { get; init; } = DeviceRequest.Auto;

    /// <summary>CPU threads for intra-op parallelism; null keeps libtorch's default (one per core).</summary>
    public int? Threads { get; init; }

    /// <summary>A folder holding libtorch_cuda.so (e.g. a PyTorch install's torch/lib) to load the CUDA backend from.</summary>
    public string? LibTorchDir { get; init; }

    /// <summary>Subnormal floats on the CPU: flushed to zero (default, as <c>torch.set_flush_denormal(True)</c>) or kept.</summary>
    public DenormalMode Denormals { get; init; } = DenormalMode.Flush;

    /// <summary>Reads the PARTIALLORA_* variables; <paramref name="getenv"/> defaults to the process environment.</summary>
    public static RuntimeOptions FromEnvironment(Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var o = new RuntimeOptions();
        var device = getenv(DeviceVariable);
        if (!string.IsNullOrWhiteSpace(device)) o = o with { Device = DeviceRequest.Parse(device, DeviceVariable) };
        var threads = getenv(ThreadsVariable);
        if (!string.IsNullOrWhiteSpace(threads)) o = o with { Threads = ParseThreads(threads, ThreadsVariable) };
        var lib = getenv(LibTorchVariable);
        if (!string.IsNullOrWhiteSpace(lib)) o = o with { LibTorchDir = lib };
        var denormals = getenv(DenormalsVariable);
        if (!string.IsNullOrWhiteSpace(denormals)) o = o with { Denormals = Runtime.Denormals.Parse(denormals, DenormalsVariable) };
        return o;
    }

    public static int ParseThreads(string text, string source)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new ArgumentException($"{source}='{text}': expected a positive whole number of CPU threads");
        return n;
    }

    /// <summary>Applies flag values over these options; null flags leave the option as it is.</summary>
    public RuntimeOptions WithOverrides(string? device = null, int? threads = null, string? libTorchDir = null, string? denormals = null)
    {
        var o = this;
        if (device != null) o = o with { Device = DeviceRequest.Parse(device, "--device") };
        if (threads != null)
        {
            if (threads <= 0) throw new ArgumentException($"--threads={threads}: expected a positive whole number of CPU threads");
            o = o with { Threads = threads };
        }
        if (libTorchDir != null) o = o with { LibTorchDir = libTorchDir };
        if (denormals != null) o = o with { Denormals = Runtime.Denormals.Parse(denormals, "--denormals") };
        return o;
    }
}
