using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Backbones;
using PartialLoRA.Experiments;

namespace PartialLoRA.Reproduction;

/// <summary>A method as the paper names it and the engine's method spec that runs it.</summary>
public sealed record ComparedMethod(string Label, JsonObject Spec)
{
    /// <summary>The spec entry of a sweep: the engine's method object with the paper's name as its label.</summary>
    public JsonObject ToSpecJson() => WithLabel(Spec, Label);

    /// <summary>A copy of the engine's method object <paramref name="method"/> labelled <paramref name="label"/>.</summary>
    public static JsonObject WithLabel(JsonObject method, string label)
    {
        var o = (JsonObject)method.DeepClone();
        o["label"] = label;
        return o;
    }
}

/// <summary>The methods of §5 ("Setting and Baselines") with the engine's defaults (rank 8, α 8, the model family's PEFT targets).</summary>
public static class PaperMethods
{
    public static ComparedMethod Lora => new("LoRA", new JsonObject { ["name"] = "lora" });

    /// <summary>§4.2: Algorithm 1 with the SVD importance (Eq. 4–5), τ = 0.9, Eq. 6's Bernoulli masks.</summary>
    public static ComparedMethod PartialLora => new("Partial-LoRA", new JsonObject { ["name"] = "partial-lora", ["importance"] = "svd" });

    public static ComparedMethod AdaLora => new("AdaLoRA", new JsonObject { ["name"] = "adalora" });
    public static ComparedMethod PartialAdaLora => new("Partial-AdaLoRA", new JsonObject { ["name"] = "partial-adalora", ["importance"] = "svd" });
    public static ComparedMethod Dora => new("DoRA", new JsonObject { ["name"] = "dora" });
    public static ComparedMethod LoraPlus => new("LoRA+", new JsonObject { ["name"] = "loraplus" });
    public static ComparedMethod Vera => new("VeRA", new JsonObject { ["name"] = "vera" });
}

/// <summary>One (dataset, method) cell: ours under §5's protocol and, where the paper prints one, the paper's number.</summary>
/// <param name="Score">Mean test score of the top-k runs by validation, in % (Matthews correlation × 100 for CoLA).</param>
/// <param name="ParametersM">Trainable parameters (millions), mean over the selected runs.</param>
/// <param name="TrainLoss">Training loss (mean over the selected runs) after the first and the last epoch: what the
/// adapters learned on the training set, whether or not the test score moved.</param>
public sealed record ComparisonPoint(string Dataset, string Method, string Metric, double Score, double Std, int Selected, int Runs,
    double ParametersM, (double First, double Last) TrainLoss, PaperScore? Paper);

/// <summary>Ours-vs-paper tables of a comparison's runs (<see cref="ReproductionSweep.Run"/>).</summary>
public static class MethodComparison
{
    /// <summary>
    /// §5.1–5.2's comparison sweep <paramref name="name"/> of <paramref name="methods"/>: smoke on CIFAR-10 or SST-2; lab
    /// on every lab task (<see cref="FewShotBaselines"/>; QNLI trains on 80% of GLUE dev, its training split is not
    /// offline); paper on Table 5's or Table 6's datasets. <paramref name="datasets"/> narrows the profile's list.
    /// </summary>
    public static JsonObject Spec(string name, ReproductionProfile profile, Modality modality, long seed, IEnumerable<ComparedMethod> methods,
        string? backbones = null, IEnumerable<string>? datasets = null)
    {
        var names = Datasets(profile, modality);
        if (datasets is not null) names = names.Intersect(datasets).ToList();
        var entries = names.Select(d => ReproductionSweep.Dataset(d, profile,
            profile == ReproductionProfile.Lab && d == "qnli" ? new JsonObject { ["dev_split"] = true } : null));
        return ReproductionSweep.Spec(name, profile, modality, seed, entries, methods.Select(m => m.ToSpecJson()),
            ReproductionSweep.Model(profile, modality, backbones));
    }

    /// <summary>The comparison's datasets per profile (registry names).</summary>
    public static IReadOnlyList<string> Datasets(ReproductionProfile profile, Modality modality) => (profile, modality) switch
    {
        (ReproductionProfile.Smoke, Modality.Vision) => ["cifar10"],
        (ReproductionProfile.Smoke, _) => ["sst2"],
        (ReproductionProfile.Lab, Modality.Vision) => FewShotBaselines.VisionTasks.Select(t => t.Task).ToList(),
        (ReproductionProfile.Lab, _) => FewShotBaselines.TextTasks,
        (_, Modality.Vision) => Table5.PaperDatasets,
        _ => Table6.PaperDatasets,
    };

    /// <summary>
    /// The summary as points in the spec's order (datasets, then methods as listed), each with the paper's number for
    /// the same (dataset, method) when <paramref name="paper"/> has one.
    /// </summary>
    public static IReadOnlyList<ComparisonPoint> Points(SweepResult result, IEnumerable<PaperScore> paper)
    {
        var (spec, rows) = (result.Spec, result.Summary);
        var printed = paper.ToList();
        var points = new List<ComparisonPoint>();
        foreach (var d in spec.Datasets.Select(d => d.Name).Distinct())
            foreach (var label in spec.Expand(CodeVersion.Current).Select(r => r.Label).Distinct())
            {
                var row = rows.FirstOrDefault(r => r.Dataset == d && r.Method == label);
                if (row is null) continue;
                var metric = row.SelectionMetric;
                var test = row.Test.TryGetValue(metric, out var t) ? t : new MeanStd(double.NaN, double.NaN, 0);
                points.Add(new ComparisonPoint(d, label, metric, 100 * test.Mean, 100 * test.Std, row.Selected.Count, row.Runs,
                    row.TrainableParameters.Mean / 1e6, TrainLoss(row.Selected), printed.FirstOrDefault(p => p.Dataset == d && p.Method == label)));
            }
        return points;
    }

    private static (double First, double Last) TrainLoss(IReadOnlyList<Experiments.RunRecord> runs)
    {
        var losses = runs.Select(r => r.Details["history"]?.AsArray()).Where(h => h is { Count: > 0 })
            .Select(h => (First: h![0]!["train_loss"]!.GetValue<double>(), Last: h[^1]!["train_loss"]!.GetValue<double>())).ToList();
        return losses.Count == 0 ? (double.NaN, double.NaN) : (losses.Average(l => l.First), losses.Average(l => l.Last));
    }

    /// <summary>
    /// Ours beside the paper: dataset, method, metric, ours (mean ± std, %), runs selected/run, trainable parameters
    /// (M, adapters + task head), then the paper's score and parameters (columns named <c>paper …</c>, empty where the paper prints none).
    /// </summary>
    public static DataFrame Frame(IReadOnlyList<ComparisonPoint> points) => new(
        new StringDataFrameColumn("dataset", points.Select(p => p.Dataset)),
        new StringDataFrameColumn("method", points.Select(p => p.Method)),
        new StringDataFrameColumn("metric", points.Select(p => p.Metric)),
        new DoubleDataFrameColumn("ours (%)", points.Select(p => p.Score)),
        new DoubleDataFrameColumn("± std", points.Select(p => p.Std)),
        new StringDataFrameColumn("top-k/runs", points.Select(p => $"{p.Selected}/{p.Runs}")),
        new DoubleDataFrameColumn("params (M)", points.Select(p => p.ParametersM)),
        new DoubleDataFrameColumn("train loss, epoch 1", points.Select(p => p.TrainLoss.First)),
        new DoubleDataFrameColumn("train loss, last", points.Select(p => p.TrainLoss.Last)),
        new DoubleDataFrameColumn("paper (%)", points.Select(p => p.Paper?.Score)),
        new DoubleDataFrameColumn("paper params (M)", points.Select(p => p.Paper?.ParametersM)));

    /// <summary>
    /// The paper's table layout: one row per method, per dataset a column of ours and a <c>paper …</c> column, each cell
    /// "score (parameters M)" as Tables 5 and 6 print them; empty where there is no number.
    /// </summary>
    public static DataFrame Wide(IReadOnlyList<ComparisonPoint> points, IReadOnlyList<string> methods)
    {
        static string Cell(double score, double parametersM) => FormattableString.Invariant($"{score:F2} ({parametersM:G3}M)");
        var datasets = points.Select(p => p.Dataset).Distinct().ToList();
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("method", methods) };
        foreach (var d in datasets)
        {
            var mine = methods.Select(m => points.FirstOrDefault(p => p.Dataset == d && p.Method == m)).ToList();
            columns.Add(new StringDataFrameColumn($"{d} (ours)", mine.Select(p => p is null ? "" : Cell(p.Score, p.ParametersM))));
            columns.Add(new StringDataFrameColumn($"paper {d}", mine.Select(p => p?.Paper is { } q ? Cell(q.Score, q.ParametersM) : "")));
        }
        return new DataFrame(columns);
    }

    /// <summary>
    /// The trainable-parameter reduction of each masked method against its dense counterpart on the same dataset
    /// (§5.1's "average reduction of over 60%"), in %: (1 − params(masked) / params(dense)) · 100.
    /// </summary>
    public static IReadOnlyList<(string Dataset, string Method, double ReductionPercent, double? PaperReductionPercent)> Reductions(
        IReadOnlyList<ComparisonPoint> points, IReadOnlyDictionary<string, string> maskedToDense)
    {
        var list = new List<(string, string, double, double?)>();
        foreach (var p in points)
        {
            if (!maskedToDense.TryGetValue(p.Method, out var dense)) continue;
            var d = points.FirstOrDefault(q => q.Dataset == p.Dataset && q.Method == dense);
            if (d is null) continue;
            double? paper = p.Paper is { } pp && d.Paper is { } dp ? 100 * (1 - pp.ParametersM / dp.ParametersM) : null;
            list.Add((p.Dataset, p.Method, 100 * (1 - p.ParametersM / d.ParametersM), paper));
        }
        return list;
    }
}
