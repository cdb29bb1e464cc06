using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Runtime;

namespace PartialLoRA.Reproduction;

/// <summary>A method as the paper names it and the engine's method spec that runs it.</summary>
public sealed record ComparedMethod(string Label, JsonObject Spec)
{
    /// <summary>The spec entry of a sweep: the engine's method object with the paper's name as its label.</summary>
    public JsonObject ToSpecJson()
    {
        var o = (JsonObject)Spec.DeepClone();
        o["label"] = Label;
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

/// <summary>
/// One comparison of methods on datasets under §5's protocol: the sweep (model × datasets × methods × seeds × learning
/// rates, training settings, top-k) as the engine's spec JSON.
/// </summary>
public sealed record ComparisonSetup(
    string Name,
    JsonObject Model,
    IReadOnlyList<JsonObject> Datasets,
    IReadOnlyList<ComparedMethod> Methods,
    IReadOnlyList<long> Seeds,
    IReadOnlyList<double> LearningRates,
    JsonObject Training,
    int TopK)
{
    public JsonObject ToSpecJson() => new()
    {
        ["name"] = Name,
        ["model"] = Model.DeepClone(),
        ["datasets"] = new JsonArray(Datasets.Select(d => (JsonNode)d.DeepClone()).ToArray()),
        ["methods"] = new JsonArray(Methods.Select(m => (JsonNode)m.ToSpecJson()).ToArray()),
        ["seeds"] = new JsonArray(Seeds.Select(s => (JsonNode)s).ToArray()),
        ["learning_rates"] = new JsonArray(LearningRates.Select(l => (JsonNode)l).ToArray()),
        ["training"] = Training.DeepClone(),
        ["top_k"] = TopK,
    };

    /// <summary>The validated sweep spec (errors name the field, as for a spec file).</summary>
    public SweepSpec Spec(ExperimentCatalog catalog) => SweepSpec.Parse(ToSpecJson().ToJsonString(), Name, catalog);

    public int RunCount => Datasets.Count * Methods.Count * Seeds.Count * LearningRates.Count;
}

/// <summary>One (dataset, method) cell: ours under §5's protocol and, where the paper prints one, the paper's number.</summary>
/// <param name="Score">Mean test score of the top-k runs by validation, in % (Matthews correlation × 100 for CoLA).</param>
/// <param name="ParametersM">Trainable parameters (millions), mean over the selected runs.</param>
public sealed record ComparisonPoint(string Dataset, string Method, string Metric, double Score, double Std, int Selected, int Runs,
    double ParametersM, PaperScore? Paper);

/// <summary>
/// Runs a comparison through the engine (results store at the notebook's <c>ResultsDir</c>: finished runs are reused,
/// by this notebook or any other with the same run keys) and assembles ours-vs-paper tables.
/// </summary>
public static class MethodComparison
{
    /// <summary>
    /// Runs what the store does not hold yet, one line per run on <paramref name="log"/>, and returns §5's summary
    /// (top-k by validation) of exactly this spec's runs.
    /// </summary>
    public static IReadOnlyList<SummaryRow> Run(SweepSpec spec, ExperimentCatalog catalog, string resultsDir, TextWriter? log = null,
        string? cacheFolder = null, CancellationToken cancel = default)
    {
        using var executor = new RunExecutor(catalog, TorchRuntime.Device, CacheFolder.Resolve(cacheFolder));
        var outcome = SweepRunner.Run(spec, resultsDir, null, executor, log is null ? null : new LogObserver(log), cancel);
        log?.WriteLine($"{spec.Name}: {outcome.Planned} runs, {outcome.AlreadyFinished} reused from {resultsDir}, {outcome.Ran} run now ({outcome.Diverged} diverged)");
        return Summary(spec, resultsDir);
    }

    /// <summary>§5's summary of the spec's runs found in the store (runs of other specs or code versions are left out).</summary>
    public static IReadOnlyList<SummaryRow> Summary(SweepSpec spec, string resultsDir)
    {
        var keys = spec.Expand(CodeVersion.Current).Select(r => r.Key).ToHashSet();
        var runs = ResultsStore.Load(resultsDir).Runs.Where(r => keys.Contains(r.Key));
        return ProtocolSummary.Summarize(runs, spec.TopK);
    }

    /// <summary>
    /// The summary as points in the spec's order (datasets, then methods as listed), each with the paper's number for
    /// the same (dataset, method) when <paramref name="paper"/> has one.
    /// </summary>
    public static IReadOnlyList<ComparisonPoint> Points(SweepSpec spec, IReadOnlyList<SummaryRow> rows, IEnumerable<PaperScore> paper)
    {
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
                    row.TrainableParameters.Mean / 1e6, printed.FirstOrDefault(p => p.Dataset == d && p.Method == label)));
            }
        return points;
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

    // One plain line per finished run: notebooks capture stdout.
    private sealed class LogObserver(TextWriter log) : ISweepObserver
    {
        private int total;

        public void Started(SweepOutcome plan, IReadOnlyList<PlannedRun> todo) => total = todo.Count;
        public void RunStarting(int index, PlannedRun run) { }
        public void RunProgress(int index, PlannedRun run, Training.TrainingProgress progress) { }

        public void RunFinished(int index, PlannedRun run, RunRecord record)
        {
            var score = record.Test is { } t && t.TryGetValue(record.SelectionMetric, out var v) ? $"test {record.SelectionMetric} {v:F4}" : record.Status;
            log.WriteLine($"[{index + 1}/{total}] {run.Label} on {record.DatasetName}, seed {record.Seed}, lr {record.LearningRate:G3}: {score}, " +
                          $"{record.TrainableParameters:N0} trainable, {record.WallSeconds:F1} s");
        }
    }
}
