using System.Text.Json.Nodes;

namespace PartialLoRA.Reproduction;

/// <summary>
/// Table 6 (App. I) = Fig. 4 (§5.2): GLUE dev scores (accuracy %, CoLA Matthews correlation × 100) and trainable
/// parameters on DeBERTa-v3-base. Table 6 prints no AdaLoRA row (Fig. 4 and Fig. 2 plot it); its "Vera" is VeRA.
/// </summary>
public static class Table6
{
    public const string Source = "Table 6";

    /// <summary>Table 6's rows in its order, then AdaLoRA (run for Fig. 4; no printed number).</summary>
    public static IReadOnlyList<ComparedMethod> Methods =>
        [PaperMethods.Lora, PaperMethods.PartialLora, PaperMethods.PartialAdaLora, PaperMethods.Vera, PaperMethods.LoraPlus, PaperMethods.Dora, PaperMethods.AdaLora];

    /// <summary>Table 6's datasets in its column order.</summary>
    public static readonly IReadOnlyList<string> PaperDatasets = ["sst2", "qnli", "mrpc", "cola"];

    /// <summary>
    /// Language: Algorithm 1 derives on D_t (2% / 5% of the training split) and training uses the whole training split
    /// (§5); validation = test = GLUE dev.
    /// </summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed, string? backbones = null) =>
        MethodComparison.Spec("table6-language", profile, Modality.Text, seed, Methods, backbones);

    /// <summary>Every number Table 6 prints (columns SST-2, QNLI, MRPC, CoLA).</summary>
    public static IReadOnlyList<PaperScore> Paper { get; } = Rows(
        ("LoRA", [(94.95, 1.33), (93.87, 1.33), (89.95, 1.33), (69.82, 1.33)]),
        ("Partial-LoRA", [(95.60, 0.18), (93.85, 0.28), (89.87, 0.14), (70.86, 0.31)]),
        ("Partial-AdaLoRA", [(96.00, 0.20), (94.31, 0.33), (90.68, 0.17), (71.63, 0.34)]),
        ("VeRA", [(95.64, 0.10), (94.05, 0.10), (90.44, 0.10), (71.28, 0.10)]),
        ("LoRA+", [(95.98, 1.33), (93.87, 1.33), (90.60, 1.33), (70.85, 1.33)]),
        ("DoRA", [(96.10, 1.41), (94.14, 1.41), (90.68, 1.41), (72.11, 1.41)]));

    private static List<PaperScore> Rows(params (string Method, (double Score, double Params)[] Cells)[] rows) =>
        rows.SelectMany(r => r.Cells.Select((c, i) => new PaperScore(Source, PaperDatasets[i], r.Method, c.Score, c.Params))).ToList();
}
