using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;

namespace PartialLoRA.Reproduction;

/// <summary>
/// Appendix B, Table 3 "Performance of training on the whole dataset": LoRA, Targeted-LoRA and Partial-LoRA trained on
/// the whole training split D instead of the few-shot D_t (the sparsity ratios are still derived on a few-shot D_t,
/// m per class of the training rows), CLIP ViT-B/16, test accuracy (%).
/// </summary>
public static class Table3
{
    public static IReadOnlyList<(string Label, JsonObject Method)> Columns =>
    [
        ("LoRA", new JsonObject { ["name"] = "lora" }),
        ("Targeted-LoRA", new JsonObject { ["name"] = "targeted-lora" }),
        ("Partial-LoRA", new JsonObject { ["name"] = "partial-lora" }),
    ];

    /// <summary>A row of Table 3 as printed (test accuracy, %).</summary>
    public sealed record PaperRow(string Dataset, string Title, double Lora, double Targeted, double Partial)
    {
        public double this[string label] => label switch
        {
            "LoRA" => Lora,
            "Targeted-LoRA" => Targeted,
            "Partial-LoRA" => Partial,
            _ => throw new ArgumentException($"Table 3 has no column '{label}'", nameof(label)),
        };
    }

    /// <summary>Table 3 of the paper (the table prints "GRSRB" for GTSRB).</summary>
    public static IReadOnlyList<PaperRow> Paper { get; } =
    [
        new("cifar10", "CIFAR-10", 96.68, 97.68, 97.79),
        new("cifar100", "CIFAR-100", 87.16, 87.47, 87.59),
        new("gtsrb", "GTSRB", 99.12, 99.02, 99.08),
        new("fgvc-aircraft", "FGVC-Aircraft", 65.61, 64.93, 65.65),
    ];

    public static PaperRow PaperAverage { get; } = new("average", "Average", 87.14, 87.28, 87.53);

    /// <summary>The paper's four datasets; smoke: GTSRB (its 8,144-image offline subset decodes in seconds).</summary>
    public static IReadOnlyList<string> Datasets(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? ["gtsrb"] : Paper.Select(p => p.Dataset).ToList();

    /// <summary>Smoke keeps seeded subsets of the training and test splits (whole-dataset training, CPU-sized).</summary>
    public const int SmokeTrainRows = 400;

    public const int SmokeTestRows = 300;

    /// <summary>
    /// Smoke's shots per class for D_t (Algorithm 1's few-shot set): GTSRB has 43 classes, so the other notebooks'
    /// 16 shots would make every Algorithm 1 evaluation 688 images.
    /// </summary>
    public const int SmokeShots = 4;

    /// <summary>Whole training split (<c>"whole": true</c>); smoke: <see cref="SmokeTrainRows"/> training and <see cref="SmokeTestRows"/> test images, D_t of <see cref="SmokeShots"/> shots.</summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed, IEnumerable<string> datasets, JsonNode? model = null) =>
        ReproductionSweep.Spec("table3", profile, Modality.Vision, seed,
            datasets.Select(d => (JsonNode)ReproductionSweep.Dataset(d, profile, profile == ReproductionProfile.Smoke
                ? new JsonObject { ["whole"] = true, ["train_limit"] = SmokeTrainRows, ["test_limit"] = SmokeTestRows, ["shots"] = SmokeShots }
                : new JsonObject { ["whole"] = true })),
            Columns.Select(c => ComparedMethod.WithLabel(c.Method, c.Label)), model);

    /// <summary>One row per (dataset, method): ours (mean ± std, %), trainable parameters, runs, the paper's number.</summary>
    public static DataFrame Frame(SweepResult result) =>
        MethodColumnTable.Frame(result, Labels, Title, (d, label) => PaperOf(d)?[label]);

    /// <summary>Ours (mean, std) and the paper's accuracy per column on one dataset.</summary>
    public static (string[] Methods, double[] Ours, double[] Std, double[] Paper) Bars(SweepResult result, string dataset) =>
        MethodColumnTable.Bars(result, dataset, Labels, (d, label) => PaperOf(d)?[label]);

    private static IReadOnlyList<string> Labels => Columns.Select(c => c.Label).ToList();

    public static PaperRow? PaperOf(string dataset) => Paper.FirstOrDefault(p => p.Dataset == dataset);

    public static string Title(string dataset) => PaperOf(dataset)?.Title ?? Table2.Title(dataset);
}
