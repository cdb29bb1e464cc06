using System.Diagnostics;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Registry;
using PartialLoRA.Runtime;
using static TorchSharp.torch;

namespace PartialLoRA.Data;

/// <summary>One measured figure: how many images a stage handled in how long.</summary>
public sealed record DataBenchFigure(string Stage, int Images, double Seconds)
{
    public double ImagesPerSecond => Images / Seconds;
}

/// <summary>
/// Throughput of the image pipeline on a real dataset (<c>partial-lora bench data</c>): listing the archive, decoding to
/// stored uint8 tensors at native size, batching with normalisation (32×32), batching with CLIP's per-batch bicubic
/// resize to 224×224, and decoding with a 224×224 resize per image. Every figure is measured, on whatever the
/// machine is doing at the time; the command prints the load average beside them.
/// </summary>
public static class DataBenchmark
{
    public static IReadOnlyList<DataBenchFigure> Run(string dataset, string split, string dataRoot, int? limit, int resizedLimit,
        int batchSize, int parallelism, Action<DataBenchFigure>? report = null)
    {
        _ = TorchRuntime.Current;
        var figures = new List<DataBenchFigure>();
        void Add(DataBenchFigure f)
        {
            figures.Add(f);
            report?.Invoke(f);
        }
        var sw = Stopwatch.StartNew();
        var images = DatasetRegistry.ReadImages(dataset, split, dataRoot);
        Add(new DataBenchFigure($"list {dataset}/{split} (open the archive, labels)", images.Count, sw.Elapsed.TotalSeconds));

        var rows = Enumerable.Range(0, Math.Min(limit ?? images.Count, images.Count)).ToArray();
        sw.Restart();
        using var native = images.Load(DecodeSpec.Native(), rows, parallelism: parallelism);
        Add(new DataBenchFigure($"decode → uint8 {string.Join("×", native.Inputs.shape.Skip(1))} ({parallelism} threads)", rows.Length, sw.Elapsed.TotalSeconds));

        var lab = ImagePreset.Lab((int)native.Inputs.shape[^1]);
        sw.Restart();
        var n = 0;
        foreach (var b in native.Batches(batchSize, shuffle: true, seed: 0, transform: lab.Eval, device: CPU))
            using (b) n += b.Count;
        Add(new DataBenchFigure($"batches of {batchSize}, shuffled, normalised {lab.Decode.Size}×{lab.Decode.Size} float", n, sw.Elapsed.TotalSeconds));

        var clip = ImagePreset.Clip(resizePerBatch: true);
        using var part = native.Subset(rows.Take(Math.Min(resizedLimit, rows.Length)).Select(i => (long)i).ToArray(), "bench");
        sw.Restart();
        n = 0;
        foreach (var b in part.Batches(Math.Min(batchSize, 64), shuffle: true, seed: 0, transform: clip.Eval, device: CPU))
            using (b) n += b.Count;
        Add(new DataBenchFigure("batches resized per batch to 224×224 (bicubic, CLIP normalised)", n, sw.Elapsed.TotalSeconds));

        sw.Restart();
        using var decoded224 = images.Load(ImagePreset.Clip().Decode, rows.Take(Math.Min(resizedLimit, rows.Length)).ToArray(), parallelism: parallelism);
        Add(new DataBenchFigure($"decode + bicubic resize + centre crop → uint8 3×224×224 ({parallelism} threads)", (int)decoded224.Count, sw.Elapsed.TotalSeconds));
        return figures;
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux), for the report.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
