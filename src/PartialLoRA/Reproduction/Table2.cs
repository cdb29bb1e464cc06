using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;

namespace PartialLoRA.Reproduction;

/// <summary>
/// §5.5, Table 2 "Different sparsity ratio derivations": LoRA against Targeted-LoRA (Algorithm 1's most important
/// rows/columns, SVD), Partial-LoRA with the ratios derived from three importance measures (SVD = Eq. 4–5, SNIP, IMP;
/// random Bernoulli masks, Eq. 6) and the Inverted ablation (the complement of Targeted-LoRA's rows/columns), on the
/// vision datasets with CLIP ViT-B/16 (test accuracy, %, mean of the top 5 of 20 runs).
/// </summary>
public static class Table2
{
    /// <summary>One method of the table: its column in the paper, the spec label, and the engine method.</summary>
    public sealed record Column(string Label, JsonObject Method);

    /// <summary>The table's columns in the paper's order.</summary>
    public static IReadOnlyList<Column> Columns =>
    [
        new("LoRA", new JsonObject { ["name"] = "lora" }),
        new("Targeted-LoRA (SVD)", new JsonObject { ["name"] = "targeted-lora", ["importance"] = "svd" }),
        new("Partial-LoRA (SVD)", new JsonObject { ["name"] = "partial-lora", ["importance"] = "svd" }),
        new("Partial-LoRA (SNIP)", new JsonObject { ["name"] = "partial-lora", ["importance"] = "snip" }),
        new("Partial-LoRA (IMP)", new JsonObject { ["name"] = "partial-lora", ["importance"] = "imp" }),
        new("Inverted", new JsonObject { ["name"] = "inverted", ["importance"] = "svd" }),
    ];

    /// <summary>A row of Table 2 as printed: test accuracy (%) per column.</summary>
    public sealed record PaperRow(string Dataset, string Title, double Lora, double TargetedSvd, double PartialSvd, double PartialSnip,
        double PartialImp, double Inverted)
    {
        public double this[string label] => label switch
        {
            "LoRA" => Lora,
            "Targeted-LoRA (SVD)" => TargetedSvd,
            "Partial-LoRA (SVD)" => PartialSvd,
            "Partial-LoRA (SNIP)" => PartialSnip,
            "Partial-LoRA (IMP)" => PartialImp,
            "Inverted" => Inverted,
            _ => throw new ArgumentException($"Table 2 has no column '{label}'", nameof(label)),
        };
    }

    /// <summary>Table 2 of the paper (CLIP ViT-B/16, few-shot), datasets by their registry names.</summary>
    public static IReadOnlyList<PaperRow> Paper { get; } =
    [
        new("pets", "Pets", 94.06, 93.44, 93.86, 93.95, 93.82, 94.00),
        new("flowers102", "Flowers", 93.18, 95.01, 95.21, 95.24, 94.48, 93.71),
        new("cifar10", "CIFAR-10", 94.50, 94.45, 94.35, 94.22, 93.89, 94.59),
        new("cifar100", "CIFAR-100", 80.90, 80.85, 81.10, 80.97, 80.51, 80.58),
        new("fer2013", "FER2013", 57.96, 58.51, 58.61, 58.86, 57.94, 58.43),
        new("gtsrb", "GTSRB", 95.04, 94.64, 94.72, 94.53, 94.90, 94.40),
        new("fgvc-aircraft", "FGVC-Aircraft", 54.34, 53.44, 54.58, 55.09, 54.21, 51.86),
    ];

    /// <summary>The paper's "Average" row (over its 7 datasets).</summary>
    public static PaperRow PaperAverage { get; } = new("average", "Average", 81.42, 81.48, 81.78, 81.84, 81.39, 81.08);

    /// <summary>The datasets per profile: CIFAR-10 in smoke; the paper's seven otherwise (those present are run).</summary>
    public static IReadOnlyList<string> Datasets(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? ["cifar10"] : Paper.Select(p => p.Dataset).ToList();

    /// <summary>The sweep: <paramref name="datasets"/> × the six columns, §5's seeds and learning rates per profile.</summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed, IEnumerable<string> datasets, JsonNode? model = null) =>
        ReproductionSweep.Spec("table2", profile, Modality.Vision, seed,
            datasets.Select(d => (JsonNode)ReproductionSweep.Dataset(d, profile)),
            Columns.Select(c => ComparedMethod.WithLabel(c.Method, c.Label)), model);

    /// <summary>
    /// Ours beside the paper: one row per (dataset, column) with our test accuracy (mean ± std over the selected runs,
    /// in %), the trainable parameters, the runs behind it, and the paper's number.
    /// </summary>
    public static DataFrame Frame(SweepResult result) =>
        MethodColumnTable.Frame(result, Labels, Title, (d, label) => PaperOf(d)?[label]);

    /// <summary>Bar heights per column for one dataset: ours (mean, std) and the paper's.</summary>
    public static (string[] Methods, double[] Ours, double[] Std, double[] Paper) Bars(SweepResult result, string dataset) =>
        MethodColumnTable.Bars(result, dataset, Labels, (d, label) => PaperOf(d)?[label]);

    private static IReadOnlyList<string> Labels => Columns.Select(c => c.Label).ToList();

    public static PaperRow? PaperOf(string dataset) => Paper.FirstOrDefault(p => p.Dataset == dataset);

    public static string Title(string dataset) => PaperOf(dataset)?.Title ?? dataset;
}
