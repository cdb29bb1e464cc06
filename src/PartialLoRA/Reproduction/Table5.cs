using System.Text.Json.Nodes;

namespace PartialLoRA.Reproduction;

/// <summary>
/// Table 5 (App. I) = Fig. 3 (§5.2): accuracy (%) and trainable parameters of Partial-LoRA against LoRA, VeRA, LoRA+,
/// DoRA, AdaLoRA and Partial-AdaLoRA on the vision tasks (CLIP ViT-B/16, few-shot: 16 shots, Flowers 6).
/// </summary>
public static class Table5
{
    public const string Source = "Table 5";

    /// <summary>The rows of Table 5 in its order.</summary>
    public static IReadOnlyList<ComparedMethod> Methods =>
        [PaperMethods.Lora, PaperMethods.PartialLora, PaperMethods.Vera, PaperMethods.LoraPlus, PaperMethods.Dora, PaperMethods.AdaLora, PaperMethods.PartialAdaLora];

    /// <summary>Table 5's datasets in its column order (registry names).</summary>
    public static readonly IReadOnlyList<string> PaperDatasets = ["pets", "flowers102", "cifar10", "cifar100", "fer2013", "gtsrb", "fgvc-aircraft", "imagenet"];

    public static JsonObject Spec(ReproductionProfile profile, long seed, string? backbones = null) =>
        MethodComparison.Spec("table5-vision", profile, Modality.Vision, seed, Methods, backbones);

    /// <summary>Every number Table 5 prints: score (%) and parameters (M) per method and dataset.</summary>
    public static IReadOnlyList<PaperScore> Paper { get; } = Rows(
        ("LoRA", [(94.06, 0.67), (93.18, 0.67), (94.50, 0.67), (80.90, 0.67), (57.96, 0.67), (95.04, 0.67), (54.34, 0.67), (71.01, 0.67)]),
        ("Partial-LoRA", [(93.86, 0.14), (95.21, 0.32), (94.35, 0.17), (81.10, 0.30), (58.61, 0.21), (94.72, 0.26), (54.58, 0.31), (70.90, 0.23)]),
        ("VeRA", [(94.23, 0.10), (94.91, 0.10), (95.23, 0.10), (81.60, 0.10), (58.81, 0.10), (91.23, 0.10), (52.29, 0.10), (73.56, 0.10)]),
        ("LoRA+", [(94.07, 0.67), (94.35, 0.67), (94.22, 0.67), (81.28, 0.67), (59.51, 0.67), (93.03, 0.67), (51.46, 0.67), (72.31, 0.67)]),
        ("DoRA", [(93.55, 0.77), (93.64, 0.77), (94.78, 0.77), (81.19, 0.77), (59.10, 0.77), (94.62, 0.77), (53.41, 0.75), (71.60, 0.75)]),
        ("AdaLoRA", [(93.91, 0.67), (94.36, 0.67), (94.72, 0.67), (81.54, 0.67), (59.32, 0.67), (94.13, 0.67), (52.74, 0.67), (72.68, 0.67)]),
        ("Partial-AdaLoRA", [(93.38, 0.12), (94.62, 0.26), (94.11, 0.15), (81.02, 0.29), (58.77, 0.21), (93.79, 0.25), (52.22, 0.30), (72.79, 0.22)]));

    private static List<PaperScore> Rows(params (string Method, (double Score, double Params)[] Cells)[] rows) =>
        rows.SelectMany(r => r.Cells.Select((c, i) => new PaperScore(Source, PaperDatasets[i], r.Method, c.Score, c.Params))).ToList();
}
