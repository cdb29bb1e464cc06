using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PartialLoRA.Runtime;

namespace PartialLoRA.Benchmarks;

/// <summary>
/// Where a benchmark ran: versions, device, CPU and its load, and the CPU's denormal mode (flush, keep; null where it
/// cannot be set, and in reports written before it was recorded).
/// </summary>
public sealed record BenchEnvironment(
    string TorchSharp,
    string LibTorch,
    string Backend,
    string Device,
    IReadOnlyList<CudaDeviceInfo> CudaDevices,
    int CpuThreads,
    int Processors,
    string LoadAverageBefore,
    string Os,
    string DotNet,
    string? Denormals = null)
{
    public static BenchEnvironment Collect(TorchRuntimeState state)
    {
        var r = RuntimeReport.Collect(state);
        return new BenchEnvironment(r.TorchSharpVersion, r.LibTorchVersion, r.Backend, r.Device, r.CudaDevices, r.CpuThreads,
            r.ProcessorCount, Data.DataBenchmark.LoadAverage(), RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            Runtime.Denormals.Name(state.Denormals));
    }
}

/// <summary>A method that did not produce figures, with the reason.</summary>
public sealed record FinetuneFailure(string Method, string Error);

/// <summary>
/// The output of <c>bench finetune</c>: environment, settings, one <see cref="FinetuneResult"/> per method (and the
/// failures), written as JSON (snake_case, read by <c>tools/bench/make_table.py</c>) and printed as a table.
/// </summary>
public sealed record FinetuneReport(
    string Tool,
    DateTimeOffset Date,
    BenchEnvironment Environment,
    FinetuneOptions Options,
    IReadOnlyList<FinetuneResult> Results,
    IReadOnlyList<FinetuneFailure> Failures,
    string LoadAverageAfter)
{
    public const string ToolName = "partial-lora bench finetune";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes the JSON atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    public static FinetuneReport Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<FinetuneReport>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty benchmark report");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a {ToolName} report ({e.Message})", e);
        }
    }

    /// <summary>The human-readable table.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        var o = Options;
        var first = Results.FirstOrDefault();
        var subnormals = Environment.Denormals is { } dn ? $" (subnormals {dn})" : "";
        sb.AppendLine(CultureInfo.InvariantCulture, $"{ToolName}: {o.Preset} vision tower (seeded random weights), batch {o.Batch}, " +
                                                     $"{first?.ImageSize ?? o.ImageSize}², rank {o.Rank}, {o.Classes} classes, AdamW lr {o.LearningRate}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"device {Environment.Device} ({string.Join(", ", Environment.CudaDevices.Select(d => d.Name).DefaultIfEmpty("CPU"))}), " +
                                                     $"{first?.Dtype ?? "?"}, attention {first?.Attention ?? "?"}, {Environment.CpuThreads} CPU threads{subnormals}; " +
                                                     $"load average {Environment.LoadAverageBefore} before, {LoadAverageAfter} after");
        sb.AppendLine(CultureInfo.InvariantCulture, $"timing: {o.Warmup} warm-up steps, then the median of {o.Windows} windows × {o.StepsPerWindow} steps (device synchronised at window ends only)");
        sb.AppendLine();
        sb.AppendLine($"{"method",-20} {"step ms",9} {"img/s",9} {"peak mem",10} {"trainable",12} {"opt state",10} {"TFLOP/step",11} {"MFU",7} {"loss",8}");
        foreach (var r in Results)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Method,-20} {r.StepMilliseconds,9:F2} {r.ImagesPerSecond,9:F1} {Gib(r.Memory.AboveBaselineBytes),10} {r.TrainableParameters,12:N0} " +
                $"{Mib(r.OptimizerStateBytes + r.MasterWeightBytes),10} {r.FlopsPerStep / 1e12,11:F3} {100 * r.Mfu,6:F2}% {(r.FinalLoss is { } l ? l.ToString("F3", CultureInfo.InvariantCulture) : "-"),8}");
        }
        foreach (var f in Failures) sb.AppendLine($"{f.Method,-20} FAILED: {f.Error}");
        sb.AppendLine();
        var mem = first?.Memory.Kind == "cuda-driver-used"
            ? "peak mem: CUDA driver used memory (total − free) at its peak minus the baseline at the start of the method's process"
            : "peak mem: the process's peak RSS (VmHWM)" + (Results.All(r => r.MemoryIsPerRun) ? ", reset at each method's start" : "");
        sb.AppendLine(mem + "; opt state: AdamW moments (+ f32 master weights for bf16 full fine-tuning); " +
                      $"MFU against {o.PeakTflops} TFLOP/s.");
        return sb.ToString();
    }

    private static string Gib(long bytes) => (bytes / (1024.0 * 1024 * 1024)).ToString("F2", CultureInfo.InvariantCulture) + " GiB";

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F1", CultureInfo.InvariantCulture) + " MiB";
}
