using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Training;

namespace PartialLoRA.Reproduction;

/// <summary>A row of the paper's Table 4 (test accuracy, %).</summary>
public sealed record Table4Row(string Dataset, double Isolated, double Continuous);

/// <summary>
/// App. H, Table 4: Partial-LoRA with IMP importance (§4.2.2), the scores of each layer used alone ("Isolated") or
/// re-weighted by the next layer's ("Continuous", flow-preserving, <see cref="Importance.FlowPreservation"/>). The
/// paper's Isolated column equals its Table 2 Partial-LoRA (IMP) column, so the method is Partial-LoRA.
/// </summary>
public static class AppendixH
{
    /// <summary>Table 4 as printed (CLIP ViT-B/16, few-shot, top-5 mean test accuracy).</summary>
    public static readonly IReadOnlyList<Table4Row> PaperTable4 =
    [
        new("Pets", 93.82, 93.64),
        new("CIFAR-10", 93.89, 94.20),
        new("CIFAR-100", 80.51, 80.86),
        new("GTSRB", 94.90, 94.75),
        new("FGVC-Aircraft", 54.21, 54.67),
        new("Average", 83.47, 83.58),
    ];

    /// <summary>The lab tasks of the table (the paper's datasets available offline).</summary>
    public static string[] Datasets(bool smoke) => smoke ? ["cifar10"] : ["cifar10", "gtsrb"];

    /// <summary>
    /// Table 4's runs on the lab tasks <see cref="Datasets"/>; smoke adapts the first two blocks
    /// (<see cref="ReproductionSweep.SmokeVisionTwoBlockTargets"/>), since with one block no layer has a consumer and
    /// Continuous equals Isolated.
    /// </summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed) =>
        ReproductionSweep.Spec("appH", profile, Modality.Vision, seed,
            Datasets(profile == ReproductionProfile.Smoke).Select(d => (JsonNode)ReproductionSweep.Dataset(d, profile)),
            ReproductionSweep.SmokeTargets(Methods(), profile, ReproductionSweep.SmokeVisionTwoBlockTargets));

    public static IReadOnlyList<JsonObject> Methods() =>
    [
        new() { ["name"] = "partial-lora", ["importance"] = "imp", ["flow"] = "isolated", ["label"] = "Isolated" },
        new() { ["name"] = "partial-lora", ["importance"] = "imp", ["flow"] = "continuous", ["label"] = "Continuous" },
    ];

    /// <summary>
    /// Ours (test accuracy %, mean ± std of the top-k runs by validation) beside the paper's Table 4 row of the same
    /// dataset, with the gap App. H is about: Isolated − Continuous, in points, ours and the paper's.
    /// </summary>
    public static DataFrame Table(SweepResult result)
    {
        var rows = result.Summary;
        var datasets = rows.Select(r => r.Dataset).Distinct().ToList();
        double Acc(string d, string label, Func<MeanStd, double> f) =>
            rows.FirstOrDefault(r => r.Dataset == d && r.Method == label) is { } r && r.Test.TryGetValue(ClassificationMetrics.Accuracy, out var a) ? 100 * f(a) : double.NaN;
        Table4Row? Paper(string d) => PaperTable4.FirstOrDefault(p => Normalize(p.Dataset) == Normalize(d));
        return new DataFrame(
            new StringDataFrameColumn("dataset", datasets),
            new DoubleDataFrameColumn("Isolated (%)", datasets.Select(d => Acc(d, "Isolated", m => m.Mean))),
            new DoubleDataFrameColumn("Isolated ± std", datasets.Select(d => Acc(d, "Isolated", m => m.Std))),
            new DoubleDataFrameColumn("Continuous (%)", datasets.Select(d => Acc(d, "Continuous", m => m.Mean))),
            new DoubleDataFrameColumn("Continuous ± std", datasets.Select(d => Acc(d, "Continuous", m => m.Std))),
            new DoubleDataFrameColumn("gap I − C (points)", datasets.Select(d => Acc(d, "Isolated", m => m.Mean) - Acc(d, "Continuous", m => m.Mean))),
            new DoubleDataFrameColumn("paper Isolated (%)", datasets.Select(d => Paper(d)?.Isolated ?? double.NaN)),
            new DoubleDataFrameColumn("paper Continuous (%)", datasets.Select(d => Paper(d)?.Continuous ?? double.NaN)),
            new DoubleDataFrameColumn("paper gap I − C (points)", datasets.Select(d => Paper(d) is { } p ? p.Isolated - p.Continuous : double.NaN)));
    }

    /// <summary>The paper's Table 4 alone.</summary>
    public static DataFrame PaperFrame() => new(
        new StringDataFrameColumn("dataset", PaperTable4.Select(r => r.Dataset)),
        new DoubleDataFrameColumn("paper Isolated (%)", PaperTable4.Select(r => r.Isolated)),
        new DoubleDataFrameColumn("paper Continuous (%)", PaperTable4.Select(r => r.Continuous)));

    private static string Normalize(string d) => new string(d.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();
}
