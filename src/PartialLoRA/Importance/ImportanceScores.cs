namespace PartialLoRA.Importance;

/// <summary>
/// I^l of §4.2.2 for one target weight W (m×n): one score per row (output feature) and one per column (input
/// feature); larger is more important.
/// </summary>
public sealed record ImportanceScores
{
    public ImportanceScores(string module, double[] rows, double[] cols)
    {
        ArgumentException.ThrowIfNullOrEmpty(module);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cols);
        if (rows.Length == 0 || cols.Length == 0)
            throw new ArgumentException($"importance of '{module}': expected scores for every row and column, got {rows.Length} rows and {cols.Length} columns");
        if (rows.Concat(cols).FirstOrDefault(x => !double.IsFinite(x)) is var bad && !double.IsFinite(bad))
            throw new ArgumentException($"importance of '{module}': scores must be finite, found {bad}");
        Module = module;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>named_modules path of the target Linear.</summary>
    public string Module { get; }

    /// <summary>m scores, one per row of W.</summary>
    public double[] Rows { get; }

    /// <summary>n scores, one per column of W.</summary>
    public double[] Cols { get; }

    /// <summary>
    /// Indices from least to most important (Algorithm 1's removal order: argmin first); ties go to the lower index
    /// first so the order is the same on every device.
    /// </summary>
    public static int[] AscendingOrder(double[] scores)
    {
        var order = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
        return order;
    }
}
