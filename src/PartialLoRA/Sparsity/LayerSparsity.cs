namespace PartialLoRA.Sparsity;

/// <summary>
/// Algorithm 1's outcome for one target weight W (m×n) of the pretrained model: how many rows (output
/// features) and columns (input features) survive, and which. The masks of Eq. 6 are sampled from
/// <see cref="RowRatio"/> / <see cref="ColRatio"/> (Partial-LoRA) or taken from the index sets (Targeted-LoRA,
/// and their complement for Inverted).
/// </summary>
/// <param name="Module">named_modules path of the target Linear (HF-compatible, e.g. <c>vision_model.encoder.layers.0.mlp.fc1</c>).</param>
/// <param name="Rows">m = out_features.</param>
/// <param name="Cols">n = in_features.</param>
/// <param name="KeptRows">|I_row|: rows kept by Algorithm 1.</param>
/// <param name="KeptCols">|I_col|: columns kept by Algorithm 1.</param>
/// <param name="RowIndices">The kept rows (ascending), when known.</param>
/// <param name="ColIndices">The kept columns (ascending), when known.</param>
public sealed record LayerSparsity(
    string Module,
    int Rows,
    int Cols,
    int KeptRows,
    int KeptCols,
    int[]? RowIndices = null,
    int[]? ColIndices = null)
{
    /// <summary>p_row of Eq. 6.</summary>
    public double RowRatio => Rows == 0 ? 0 : (double)KeptRows / Rows;

    /// <summary>p_col of Eq. 6.</summary>
    public double ColRatio => Cols == 0 ? 0 : (double)KeptCols / Cols;

    /// <summary>
    /// Element density p_l of ΔW for the element-wise random masks of the Balanced and Pyramidal schedules (§5,
    /// Fig. 5); null for Algorithm 1's row/column outcome. Exact, unlike the rounded kept counts.
    /// </summary>
    public double? Density { get; init; }
}
