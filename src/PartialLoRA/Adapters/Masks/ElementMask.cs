namespace PartialLoRA.Adapters.Masks;

/// <summary>
/// Element-wise masks on the adapter's factors, ΔW = (M_B ⊙ B)(M_A ⊙ A): the random masks of the Balanced and
/// Pyramidal sweeps (Fig. 5) and LoRPA's magnitude-pruned structure. Row-major, M_A is r×n and M_B is m×r.
/// </summary>
public sealed class ElementMask
{
    public ElementMask(int rows, int cols, int rank, bool[] keepA, bool[] keepB)
    {
        if (keepA.Length != rank * cols) throw new ArgumentException($"element mask: M_A has {keepA.Length} entries, expected r×n = {rank}×{cols}");
        if (keepB.Length != rows * rank) throw new ArgumentException($"element mask: M_B has {keepB.Length} entries, expected m×r = {rows}×{rank}");
        Rows = rows;
        Cols = cols;
        Rank = rank;
        KeepA = keepA;
        KeepB = keepB;
        KeptA = keepA.Count(k => k);
        KeptB = keepB.Count(k => k);
    }

    public int Rows { get; }
    public int Cols { get; }
    public int Rank { get; }

    /// <summary>M_A (r×n, row-major): true where the entry of A is trained.</summary>
    public bool[] KeepA { get; }

    /// <summary>M_B (m×r, row-major): true where the entry of B is trained.</summary>
    public bool[] KeepB { get; }

    public int KeptA { get; }
    public int KeptB { get; }
}
