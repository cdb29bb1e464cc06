using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Experiments;

namespace PartialLoRA.Reproduction;

/// <summary>
/// §5.3, Figure 5 "Sweeping through sparsity ratios": accuracy against trainable parameters for the two random
/// pruning baselines — Balanced (Frankle &amp; Carbin 2019: every layer at the same sparsity, swept over 0.1 … 0.9)
/// and Pyramidal (Liu et al. 2022: block l keeps p^l) — beside the single point Partial-LoRA reaches with the ratio
/// Algorithm 1 derives (no sweep), and dense LoRA.
/// </summary>
public static class Figure5
{
    /// <summary>One point of the figure: a method at one setting.</summary>
    public sealed record Point(string Family, double? Setting, string Label, JsonObject Method);

    public const string Lora = "LoRA";
    public const string Partial = "Partial-LoRA";
    public const string Balanced = "Balanced";
    public const string Pyramidal = "Pyramidal";

    /// <summary>Balanced: the paper's sparsity ratios 0.1 … 0.9 (smoke: 0.1, 0.5, 0.9), as kept densities 1 − s.</summary>
    public static IReadOnlyList<double> BalancedSparsities(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? [0.1, 0.5, 0.9] : [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    /// <summary>Pyramidal: the first block's density p (block l keeps p^l); smoke: 0.5 and 0.9.</summary>
    public static IReadOnlyList<double> PyramidalP(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? [0.5, 0.9] : [0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

    public static IReadOnlyList<Point> Points(ReproductionProfile profile)
    {
        var points = new List<Point>
        {
            new(Lora, null, Lora, new JsonObject { ["name"] = "lora" }),
            new(Partial, null, "Partial-LoRA (SVD)", new JsonObject { ["name"] = "partial-lora", ["importance"] = "svd" }),
        };
        foreach (var s in BalancedSparsities(profile))
        {
            var density = Math.Round(1 - s, 6);
            points.Add(new(Balanced, s, $"Balanced (sparsity {F(s)})", new JsonObject { ["name"] = "balanced", ["density"] = density }));
        }
        foreach (var p in PyramidalP(profile))
            points.Add(new(Pyramidal, p, $"Pyramidal (p = {F(p)})", new JsonObject { ["name"] = "pyramidal", ["p"] = p }));
        return points;
    }

    /// <summary>Table 5's LoRA and Partial-LoRA entries (CLIP ViT-B/16): accuracy (%) and trainable parameters (M).</summary>
    public sealed record PaperPoint(string Dataset, string Method, double Accuracy, double ParametersMillions);

    /// <summary>The reference points Figure 5 is drawn against, as Table 5 prints them (the figure itself prints no numbers).</summary>
    public static IReadOnlyList<PaperPoint> Paper { get; } =
    [
        new("pets", Lora, 94.06, 0.67), new("pets", Partial, 93.86, 0.14),
        new("flowers102", Lora, 93.18, 0.67), new("flowers102", Partial, 95.21, 0.32),
        new("cifar10", Lora, 94.50, 0.67), new("cifar10", Partial, 94.35, 0.17),
        new("cifar100", Lora, 80.90, 0.67), new("cifar100", Partial, 81.10, 0.30),
        new("fer2013", Lora, 57.96, 0.67), new("fer2013", Partial, 58.61, 0.21),
        new("gtsrb", Lora, 95.04, 0.67), new("gtsrb", Partial, 94.72, 0.26),
        new("fgvc-aircraft", Lora, 54.34, 0.67), new("fgvc-aircraft", Partial, 54.58, 0.31),
    ];

    /// <summary>Figure 5's datasets are Pets and Flowers; CIFAR-10 stands in where they are absent (smoke: CIFAR-10 only).</summary>
    public static IReadOnlyList<string> Datasets(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? ["cifar10"] : ["pets", "flowers102", "cifar10"];

    public static JsonObject Spec(ReproductionProfile profile, long seed, IEnumerable<string> datasets, JsonNode? model = null) =>
        ReproductionSweep.Spec("figure5", profile, Modality.Vision, seed,
            datasets.Select(d => (JsonNode)ReproductionSweep.Dataset(d, profile)),
            ReproductionSweep.SmokeTargets(Points(profile).Select(p => ComparedMethod.WithLabel(p.Method, p.Label)), profile,
                ReproductionSweep.SmokeVisionTwoBlockTargets), model);

    /// <summary>One row per (dataset, point): setting, trainable parameters, our test accuracy, Table 5's where it has one.</summary>
    public static DataFrame Frame(SweepResult result, ReproductionProfile profile)
    {
        var rows = (from d in result.Spec.Datasets.Select(d => d.Name)
                    from p in Points(profile)
                    select (Dataset: d, Point: p, Cell: result.Cell(d, p.Label), Paper: PaperOf(d, p.Family))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("dataset", rows.Select(r => Table2.Title(r.Dataset))),
            new StringDataFrameColumn("method", rows.Select(r => r.Point.Family)),
            new StringDataFrameColumn("setting", rows.Select(r => Setting(r.Point))),
            new Int64DataFrameColumn("trainable params", rows.Select(r => r.Cell is null ? (long?)null : (long)r.Cell.TrainableParameters.Mean)),
            new DoubleDataFrameColumn("accuracy (%)", rows.Select(r => 100 * SweepResult.Score(r.Cell).Mean)),
            new DoubleDataFrameColumn("± std", rows.Select(r => 100 * SweepResult.Score(r.Cell).Std)),
            new Int32DataFrameColumn("runs", rows.Select(r => r.Cell?.Runs ?? 0)),
            new DoubleDataFrameColumn("paper (%)", rows.Select(r => r.Paper?.Accuracy)),
            new DoubleDataFrameColumn("paper params (M)", rows.Select(r => r.Paper?.ParametersMillions)));
    }

    /// <summary>A family's points on one dataset, ordered by trainable parameters: (parameters, accuracy %, std %).</summary>
    public static (double[] Parameters, double[] Accuracy, double[] Std) Curve(SweepResult result, string dataset, string family, ReproductionProfile profile)
    {
        var pts = Points(profile).Where(p => p.Family == family)
            .Select(p => result.Cell(dataset, p.Label)).OfType<SummaryRow>().OrderBy(c => c.TrainableParameters.Mean).ToList();
        return (pts.Select(c => c.TrainableParameters.Mean).ToArray(), pts.Select(c => 100 * SweepResult.Score(c).Mean).ToArray(),
            pts.Select(c => 100 * SweepResult.Score(c).Std).ToArray());
    }

    public static PaperPoint? PaperOf(string dataset, string family) => Paper.FirstOrDefault(p => p.Dataset == dataset && p.Method == family);

    private static string Setting(Point p) => p.Family switch
    {
        Balanced => $"sparsity {F(p.Setting!.Value)} (density {F(1 - p.Setting.Value)})",
        Pyramidal => $"p = {F(p.Setting!.Value)} (block l keeps p^l)",
        Partial => "Algorithm 1 (SVD, τ = 0.9)",
        _ => "dense",
    };

    private static string F(double x) => x.ToString("0.##", CultureInfo.InvariantCulture);
}
