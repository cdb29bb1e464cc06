using PartialLoRA.Experiments;

namespace PartialLoRA.Reproduction;

/// <summary>
/// The runs of one sweep spec as found in the results store after <see cref="ReproductionSweep.Run"/>: only the
/// runs whose keys the spec expands to (other notebooks' runs in the same store are ignored), each under this spec's
/// label for it, summarised with §5's protocol (top-k by validation, mean ± std).
/// </summary>
public sealed record SweepResult(SweepSpec Spec, IReadOnlyList<RunRecord> Runs, IReadOnlyList<SummaryRow> Summary, int Missing)
{
    /// <summary>The summary cell of a (dataset, method label), or null when the store has no run for it.</summary>
    public SummaryRow? Cell(string dataset, string label) => Summary.FirstOrDefault(r => r.Dataset == dataset && r.Method == label);

    /// <summary>The test score of a cell, by the dataset's selection metric (accuracy; Matthews correlation for CoLA).</summary>
    public static MeanStd Score(SummaryRow? row) =>
        row is not null && row.Test.TryGetValue(row.SelectionMetric, out var m) ? m : new MeanStd(double.NaN, double.NaN, 0);

    /// <summary>Lowest and highest test score over every finished run of a cell (Fig. 6's min–max band).</summary>
    public (double Min, double Max) Range(string dataset, string label)
    {
        var xs = Runs.Where(r => r.DatasetName == dataset && r.Label == label && r.Status == RunRecord.Ok && r.Test != null
                                 && r.Test.ContainsKey(r.SelectionMetric)).Select(r => r.Test![r.SelectionMetric]).ToList();
        return xs.Count == 0 ? (double.NaN, double.NaN) : (xs.Min(), xs.Max());
    }

    /// <summary>
    /// The spec's runs found in <paramref name="resultsDir"/> (no training). A run is found by its key, which does not
    /// hold the label: a run another notebook made under another label (Table 5's "Partial-LoRA" is Table 2's
    /// "Partial-LoRA (SVD)") is relabelled with this spec's label.
    /// </summary>
    public static SweepResult Collect(SweepSpec spec, string resultsDir)
    {
        var labels = new Dictionary<string, string>();
        foreach (var run in spec.Expand(CodeVersion.Current)) labels.TryAdd(run.Key, run.Label);
        var runs = ResultsStore.Load(resultsDir).Runs.Where(r => labels.ContainsKey(r.Key)).Select(r => r with { Label = labels[r.Key] }).ToList();
        return new SweepResult(spec, runs, ProtocolSummary.Summarize(runs, spec.TopK), labels.Count - runs.Count);
    }
}
