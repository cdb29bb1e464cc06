using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;

namespace PartialLoRA.Reproduction;

/// <summary>
/// §5.6, Figure 6 and Appendix F (Figure 16) "Rank ablation": LoRA, Partial-LoRA and Targeted-LoRA at LoRA ranks 1, 4,
/// 16, 32 and 64 — the mean test accuracy as a line with the minimum and maximum over the training runs as a band,
/// and the trainable parameters per rank. Figure 6 shows CIFAR-100 and FGVC-Aircraft, Figure 16 CIFAR-10 and GTSRB.
/// The paper prints no numbers for these figures.
/// </summary>
public static class Figure6
{
    public static IReadOnlyList<int> PaperRanks { get; } = [1, 4, 16, 32, 64];

    /// <summary>The ranks per profile: the paper's five; smoke 1, 4 and 16.</summary>
    public static IReadOnlyList<int> Ranks(ReproductionProfile profile) => profile == ReproductionProfile.Smoke ? [1, 4, 16] : PaperRanks;

    /// <summary>The compared methods (label → engine method without rank); smoke: LoRA and Partial-LoRA.</summary>
    public static IReadOnlyList<(string Label, string Method)> Methods(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke
            ? [("LoRA", "lora"), ("Partial-LoRA", "partial-lora")]
            : [("LoRA", "lora"), ("Partial-LoRA", "partial-lora"), ("Targeted-LoRA", "targeted-lora")];

    /// <summary>Figure 6 (CIFAR-100, FGVC-Aircraft) then Appendix F (CIFAR-10, GTSRB); smoke: CIFAR-10.</summary>
    public static IReadOnlyList<string> Datasets(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? ["cifar10"] : ["cifar100", "fgvc-aircraft", "cifar10", "gtsrb"];

    /// <summary>The figure a dataset belongs to in the paper.</summary>
    public static string PaperFigure(string dataset) => dataset is "cifar100" or "fgvc-aircraft" ? "Figure 6" : "Figure 16 (App. F)";

    public static string Label(string method, int rank) => $"{method} r={rank}";

    /// <summary>The sweep: methods × ranks; everything else at its default (α = 8, PEFT's, so the scaling α/r changes with r as it does when only r is set).</summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed, IEnumerable<string> datasets, JsonNode? model = null) =>
        ReproductionSweep.Spec("figure6", profile, Modality.Vision, seed, datasets.Select(d => (JsonNode)ReproductionSweep.Dataset(d, profile)),
            from m in Methods(profile)
            from r in Ranks(profile)
            select new JsonObject { ["name"] = m.Method, ["rank"] = r, ["label"] = Label(m.Label, r) },
            model);

    /// <summary>One row per (dataset, method, rank): trainable parameters, mean ± std of the selected runs, min and max over all runs.</summary>
    public static DataFrame Frame(SweepResult result, ReproductionProfile profile)
    {
        var rows = (from d in result.Spec.Datasets.Select(d => d.Name)
                    from m in Methods(profile)
                    from r in Ranks(profile)
                    let label = Label(m.Label, r)
                    select (Dataset: d, Method: m.Label, Rank: r, Cell: result.Cell(d, label), Range: result.Range(d, label))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("dataset", rows.Select(r => Table2.Title(r.Dataset))),
            new StringDataFrameColumn("figure", rows.Select(r => PaperFigure(r.Dataset))),
            new StringDataFrameColumn("method", rows.Select(r => r.Method)),
            new Int32DataFrameColumn("rank", rows.Select(r => r.Rank)),
            new Int64DataFrameColumn("trainable params", rows.Select(r => r.Cell is null ? (long?)null : (long)r.Cell.TrainableParameters.Mean)),
            new DoubleDataFrameColumn("accuracy (%)", rows.Select(r => 100 * SweepResult.Score(r.Cell).Mean)),
            new DoubleDataFrameColumn("± std", rows.Select(r => 100 * SweepResult.Score(r.Cell).Std)),
            new DoubleDataFrameColumn("min (%)", rows.Select(r => 100 * r.Range.Min)),
            new DoubleDataFrameColumn("max (%)", rows.Select(r => 100 * r.Range.Max)),
            new Int32DataFrameColumn("runs", rows.Select(r => r.Cell?.Runs ?? 0)));
    }

    /// <summary>One method's curve on a dataset over the ranks that have runs: rank, mean %, min %, max %, parameters.</summary>
    public static (double[] Rank, double[] Mean, double[] Min, double[] Max, double[] Parameters) Curve(SweepResult result, string dataset,
        string method, ReproductionProfile profile)
    {
        var pts = Ranks(profile).Select(r => (Rank: r, Cell: result.Cell(dataset, Label(method, r)), Range: result.Range(dataset, Label(method, r))))
            .Where(p => p.Cell is not null).ToList();
        return (pts.Select(p => (double)p.Rank).ToArray(), pts.Select(p => 100 * SweepResult.Score(p.Cell).Mean).ToArray(),
            pts.Select(p => 100 * p.Range.Min).ToArray(), pts.Select(p => 100 * p.Range.Max).ToArray(),
            pts.Select(p => p.Cell!.TrainableParameters.Mean).ToArray());
    }
}
