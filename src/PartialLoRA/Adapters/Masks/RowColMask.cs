namespace PartialLoRA.Adapters.Masks;

/// <summary>
/// The masks of Eq. 6 for one layer: u_row (m = out_features, rows of W and of B) and u_col (n = in_features,
/// columns of W and of A), so ΔW = (u_row ⊙ B)(u_col ⊙ A). Immutable; held on the CPU as index sets.
/// </summary>
public sealed class RowColMask
{
    public RowColMask(bool[] rowKeep, bool[] colKeep)
    {
        RowKeep = rowKeep;
        ColKeep = colKeep;
        RowIndices = Indices(rowKeep);
        ColIndices = Indices(colKeep);
    }

    public static RowColMask FromIndices(int rows, int cols, IEnumerable<int> keptRows, IEnumerable<int> keptCols, string module)
    {
        return new RowColMask(ToKeep(rows, keptRows, module, "row"), ToKeep(cols, keptCols, module, "column"));
    }

    private static bool[] ToKeep(int size, IEnumerable<int> kept, string module, string what)
    {
        var keep = new bool[size];
        foreach (var i in kept)
        {
            if (i < 0 || i >= size) throw new ArgumentException($"module '{module}': {what} index {i} is outside 0..{size - 1}");
            if (keep[i]) throw new ArgumentException($"module '{module}': {what} index {i} is listed twice");
            keep[i] = true;
        }
        return keep;
    }

    private static long[] Indices(bool[] keep)
    {
        var list = new List<long>();
        for (var i = 0; i < keep.Length; i++)
            if (keep[i]) list.Add(i);
        return list.ToArray();
    }

    /// <summary>u_row: true where the row (output feature) is trained.</summary>
    public bool[] RowKeep { get; }

    /// <summary>u_col: true where the column (input feature) is trained.</summary>
    public bool[] ColKeep { get; }

    /// <summary>The kept rows, ascending.</summary>
    public long[] RowIndices { get; }

    /// <summary>The kept columns, ascending.</summary>
    public long[] ColIndices { get; }

    public int Rows => RowKeep.Length;
    public int Cols => ColKeep.Length;
    public int KeptRows => RowIndices.Length;
    public int KeptCols => ColIndices.Length;

    /// <summary>The complement (Inverted masks, Table 2).</summary>
    public RowColMask Inverted() => new(RowKeep.Select(k => !k).ToArray(), ColKeep.Select(k => !k).ToArray());
}
