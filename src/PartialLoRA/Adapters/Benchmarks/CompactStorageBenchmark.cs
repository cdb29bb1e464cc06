using System.Diagnostics;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Adapters.Serialization;
using PartialLoRA.Sparsity;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Benchmarks;

/// <summary>Sizes of the compact-storage benchmark: a stack of d×d Linear layers with Partial-LoRA at (p_row, p_col).</summary>
public sealed record CompactBenchmarkOptions
{
    public int Dim { get; init; } = 1024;
    public int Layers { get; init; } = 4;
    public int Rank { get; init; } = 16;
    public double RowRatio { get; init; } = 0.3;
    public double ColRatio { get; init; } = 0.3;
    public int Tokens { get; init; } = 512;
    public int Steps { get; init; } = 10;
    public long Seed { get; init; } = 1;

    public void Validate()
    {
        if (Dim <= 0 || Layers <= 0 || Tokens <= 0 || Steps <= 0) throw new ArgumentException("benchmark sizes (dim, layers, tokens, steps) must be positive");
        if (Rank <= 0) throw new ArgumentException($"benchmark rank must be positive, got {Rank}");
        if (!(RowRatio is >= 0 and <= 1) || !(ColRatio is >= 0 and <= 1))
            throw new ArgumentException($"benchmark ratios must lie in [0, 1], got p_row = {RowRatio}, p_col = {ColRatio}");
    }
}

/// <summary>One storage form's figures.</summary>
/// <param name="Form">"LoRA (unmasked)", "Partial-LoRA dense" or "Partial-LoRA compact".</param>
/// <param name="TrainedEntries">Trainable entries counting only unmasked ones.</param>
/// <param name="StoredElements">Elements of the trainable tensors (AdamW keeps two more of each).</param>
/// <param name="SavedBytes">Size of adapter_model.safetensors in PEFT's layout.</param>
/// <param name="CompactFileBytes">Size with the compact file layout (compact storage only).</param>
/// <param name="MillisecondsPerStep">Median forward + backward + AdamW step.</param>
public sealed record CompactBenchmarkRow(string Form, long TrainedEntries, long StoredElements, long SavedBytes, long? CompactFileBytes, double MillisecondsPerStep);

public sealed record CompactBenchmarkResult(CompactBenchmarkOptions Options, string Device, IReadOnlyList<CompactBenchmarkRow> Rows, double DenseVsCompactMaxAbsDiff);

/// <summary>
/// Measures what compact storage buys over the dense-masked form of Eq. 6 (and plain LoRA): trainable tensor
/// elements (= optimizer state / 2 for AdamW), saved adapter size and step time, and checks that dense and compact
/// compute the same outputs from the same masks and seed.
/// </summary>
public static class CompactStorageBenchmark
{
    /// <summary>Untimed steps first: the first calls of each shape pay for JIT and kernel set-up.</summary>
    public const int Warmup = 5;

    private sealed class Stack : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> layers;

        public Stack(int dim, int count, long seed) : base("Stack")
        {
            layers = new TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>(
                Enumerable.Range(0, count).Select(_ => (nn.Module<Tensor, Tensor>)nn.Linear(dim, dim)).ToArray());
            RegisterComponents();
            // Seeded base weights (identical for every form), drawn on the CPU.
            using var g = new torch.Generator((ulong)seed);
            using var _ = torch.no_grad();
            foreach (var p in parameters()) p.uniform_(-1 / Math.Sqrt(dim), 1 / Math.Sqrt(dim), generator: g);
        }

        public override Tensor forward(Tensor x)
        {
            foreach (var l in layers) x = nn.functional.gelu(l.call(x));
            return x;
        }
    }

    public static CompactBenchmarkResult Run(CompactBenchmarkOptions o, Device device)
    {
        o.Validate();
        var targets = Enumerable.Range(0, o.Layers).Select(i => $"layers.{i}").ToArray();
        var plan = targets.ToDictionary(t => t, t => new LayerSparsity(t, o.Dim, o.Dim,
            (int)Math.Round(o.RowRatio * o.Dim), (int)Math.Round(o.ColRatio * o.Dim)));
        using var g = new torch.Generator((ulong)o.Seed);
        using var x = torch.randn(new long[] { o.Tokens, o.Dim }, generator: g).to(device);
        using var target = torch.randn(new long[] { o.Tokens, o.Dim }, generator: g).to(device);
        var rows = new List<CompactBenchmarkRow>();
        var outputs = new List<Tensor>();
        foreach (var (form, masks, storage) in new (string, MaskSpec?, MaskStorage)[]
                 {
                     ("LoRA (unmasked)", null, MaskStorage.Dense),
                     ("Partial-LoRA dense", new PartialMasks(plan, o.Seed), MaskStorage.Dense),
                     ("Partial-LoRA compact", new PartialMasks(plan, o.Seed), MaskStorage.Compact),
                 })
        {
            using var net = new Stack(o.Dim, o.Layers, o.Seed);
            net.to(device);
            var am = AdapterModel.Inject(net, new LoraConfig
            {
                TargetModules = TargetModules.Of(targets), R = o.Rank, Alpha = 2 * o.Rank, Init = LoraInit.Random, Masks = masks, Storage = storage, Seed = o.Seed,
            });
            using (torch.no_grad()) outputs.Add(net.call(x).DetachFromDisposeScope());
            var opt = torch.optim.AdamW(am.TrainableParameters(), lr: 1e-3, weight_decay: 0.01);
            var times = new List<double>();
            for (var step = 0; step < o.Steps + Warmup; step++)
            {
                using var scope = torch.NewDisposeScope();
                var sw = Stopwatch.StartNew();
                opt.zero_grad();
                var loss = (net.call(x) - target).pow(2).mean();
                loss.backward();
                opt.step();
                if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
                if (step >= Warmup) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            var dir = Path.Combine(Path.GetTempPath(), "partiallora-bench-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                am.Save(dir);
                var bytes = new FileInfo(Path.Combine(dir, AdapterKeys.WeightsFile)).Length;
                long? compactBytes = null;
                if (storage == MaskStorage.Compact && masks != null)
                {
                    am.Save(dir, compactFile: true);
                    compactBytes = new FileInfo(Path.Combine(dir, AdapterKeys.WeightsFile)).Length;
                }
                times.Sort();
                rows.Add(new CompactBenchmarkRow(form, am.TrainableParameterCount, am.StoredTrainableParameterCount, bytes, compactBytes, times[times.Count / 2]));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
            opt.Dispose();
        }
        float diff;
        using (var d = (outputs[1] - outputs[2]).abs().max()) diff = d.item<float>();
        foreach (var t in outputs) t.Dispose();
        return new CompactBenchmarkResult(o, device.ToString(), rows, diff);
    }
}
