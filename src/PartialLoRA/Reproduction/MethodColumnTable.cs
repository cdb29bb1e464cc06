using Microsoft.Data.Analysis;

namespace PartialLoRA.Reproduction;

/// <summary>
/// Ours beside the paper for tables laid out as datasets × method columns (Tables 2 and 3): one row per (dataset,
/// column) and the bar heights of one dataset.
/// </summary>
public static class MethodColumnTable
{
    /// <summary>
    /// One row per (dataset, column): our test accuracy (mean ± std over the selected runs, in %), the trainable
    /// parameters, the runs behind it, and the paper's number (<paramref name="paper"/> of dataset and label).
    /// </summary>
    public static DataFrame Frame(SweepResult result, IReadOnlyList<string> labels, Func<string, string> title,
        Func<string, string, double?> paper)
    {
        var rows = (from d in result.Spec.Datasets.Select(d => d.Name)
                    from label in labels
                    select (Dataset: d, Label: label, Cell: result.Cell(d, label))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("dataset", rows.Select(r => title(r.Dataset))),
            new StringDataFrameColumn("method", rows.Select(r => r.Label)),
            new DoubleDataFrameColumn("accuracy (%)", rows.Select(r => 100 * SweepResult.Score(r.Cell).Mean)),
            new DoubleDataFrameColumn("± std", rows.Select(r => 100 * SweepResult.Score(r.Cell).Std)),
            new Int64DataFrameColumn("trainable params", rows.Select(r => r.Cell is null ? (long?)null : (long)r.Cell.TrainableParameters.Mean)),
            new Int32DataFrameColumn("runs", rows.Select(r => r.Cell?.Runs ?? 0)),
            new DoubleDataFrameColumn("paper (%)", rows.Select(r => paper(r.Dataset, r.Label))));
    }

    /// <summary>Ours (mean, std) and the paper's accuracy per column on one dataset, in %.</summary>
    public static (string[] Methods, double[] Ours, double[] Std, double[] Paper) Bars(SweepResult result, string dataset,
        IReadOnlyList<string> labels, Func<string, string, double?> paper)
    {
        var cells = labels.Select(l => SweepResult.Score(result.Cell(dataset, l))).ToArray();
        return (labels.ToArray(), cells.Select(m => 100 * m.Mean).ToArray(), cells.Select(m => 100 * m.Std).ToArray(),
            labels.Select(l => paper(dataset, l) ?? double.NaN).ToArray());
    }
}
