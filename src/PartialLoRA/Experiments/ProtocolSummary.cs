namespace PartialLoRA.Experiments;

/// <summary>Mean and sample standard deviation (n − 1; 0 for a single value) of a metric over the selected runs.</summary>
public sealed record MeanStd(double Mean, double Std, int Count)
{
    public static MeanStd Of(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return new MeanStd(double.NaN, double.NaN, 0);
        var mean = xs.Average();
        var std = xs.Count < 2 ? 0 : Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
        return new MeanStd(mean, std, xs.Count);
    }
}

/// <summary>One (model, dataset, method) cell of a results table.</summary>
/// <param name="Runs">Runs in the store for this cell (finished and diverged).</param>
/// <param name="Diverged">Of those, how many diverged.</param>
/// <param name="Selected">The top-k runs by validation score, best first.</param>
/// <param name="Test">Per test metric, over the selected runs that have test scores.</param>
public sealed record SummaryRow(
    string Model,
    string Dataset,
    string Method,
    int Runs,
    int Diverged,
    string SelectionMetric,
    IReadOnlyList<RunRecord> Selected,
    MeanStd Validation,
    IReadOnlyDictionary<string, MeanStd> Test,
    MeanStd TrainableParameters,
    MeanStd WallSeconds);

/// <summary>
/// §5's reporting protocol: for each (model, dataset, method), rank its runs by validation score
/// (the selection metric: accuracy, Matthews correlation for CoLA), keep the top k (default 5 of 20), and report
/// mean ± std of their validation and test metrics. Ties rank by learning rate, then seed (ascending), never by a
/// test score. Diverged runs rank last and are never selected while finished runs remain.
/// </summary>
public static class ProtocolSummary
{
    public static IReadOnlyList<SummaryRow> Summarize(IEnumerable<RunRecord> runs, int topK = SweepSpec.DefaultTopK)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be ≥ 1");
        var rows = new List<SummaryRow>();
        foreach (var g in runs.GroupBy(r => (r.ModelName, r.DatasetName, r.Label)).OrderBy(g => g.Key.ModelName, StringComparer.Ordinal)
                     .ThenBy(g => g.Key.DatasetName, StringComparer.Ordinal).ThenBy(g => g.Key.Label, StringComparer.Ordinal))
        {
            var all = g.ToList();
            var metrics = all.Select(r => r.SelectionMetric).Distinct().ToList();
            if (metrics.Count > 1)
                throw new InvalidOperationException(
                    $"{g.Key.Label} on {g.Key.DatasetName}: runs were selected by different metrics ({string.Join(", ", metrics)}); report them separately");
            var selected = all.Where(r => r.Status == RunRecord.Ok)
                .OrderByDescending(r => r.SelectionScore).ThenBy(r => r.LearningRate).ThenBy(r => r.Seed)
                .Take(topK).ToList();
            var testNames = selected.Where(r => r.Test != null).SelectMany(r => r.Test!.Keys).Distinct().Order(StringComparer.Ordinal);
            var test = testNames.ToDictionary(n => n, n => MeanStd.Of(selected.Where(r => r.Test?.ContainsKey(n) == true).Select(r => r.Test![n]).ToList()));
            rows.Add(new SummaryRow(g.Key.ModelName, g.Key.DatasetName, g.Key.Label, all.Count, all.Count(r => r.Status == RunRecord.Diverged),
                metrics[0], selected, MeanStd.Of(selected.Select(r => r.SelectionScore).ToList()), test,
                MeanStd.Of(selected.Select(r => (double)r.TrainableParameters).ToList()), MeanStd.Of(selected.Select(r => r.WallSeconds).ToList())));
        }
        return rows;
    }
}
