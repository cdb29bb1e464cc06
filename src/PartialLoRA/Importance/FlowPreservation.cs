namespace PartialLoRA.Importance;

/// <summary>
/// The "Continuous" (flow-preserving) variant of App. H: each layer's scores are added to the scores of the next
/// layer, so that an output feature of layer l that the next layer relies on gains importance. In row/column
/// terms: row i of W_l is output feature i, which the next layer reads as its input column i, so
/// row_l[i] += Σ_{c ∈ next(l)} col_c[i]. Column scores (the flow from the previous layer) are unchanged, and the
/// next layer's own isolated scores are used (no cascade along the network). The scores are added as they are,
/// as the paper describes, without rescaling between layers.
/// </summary>
public static class FlowPreservation
{
    /// <summary>
    /// Layer names that read the same input in parallel (HF naming): attention q/k/v of CLIP, LLaMA, BERT and
    /// DeBERTa, and LLaMA's gate/up projections.
    /// </summary>
    public static readonly IReadOnlyList<string[]> ParallelNames =
    [
        ["q_proj", "k_proj", "v_proj"],
        ["query_proj", "key_proj", "value_proj"],
        ["query", "key", "value"],
        ["gate_proj", "up_proj"],
    ];

    /// <summary>
    /// The layers that read each layer's output, inferred from targets given in forward order. Consecutive targets
    /// under the same parent module whose names are in one set of <see cref="ParallelNames"/> read the same input
    /// and form a group; every other target is a group of its own. Every member of a group feeds every member of
    /// the next group whose input width equals the member's output width. A member with no such next group (the
    /// last block's fc2, or k/v under grouped-query attention) has no consumer and keeps its isolated scores.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> InferConsumers(IReadOnlyList<ImportanceScores> forwardOrder)
    {
        var groups = new List<List<ImportanceScores>>();
        foreach (var s in forwardOrder)
        {
            if (groups.Count > 0 && groups[^1][0] is var first && Parallel(first.Module, s.Module))
                groups[^1].Add(s);
            else
                groups.Add([s]);
        }
        var consumers = new Dictionary<string, IReadOnlyList<string>>();
        for (var g = 0; g < groups.Count; g++)
            foreach (var member in groups[g])
                consumers[member.Module] = g + 1 < groups.Count
                    ? groups[g + 1].Where(c => c.Cols.Length == member.Rows.Length).Select(c => c.Module).ToList()
                    : [];
        return consumers;
    }

    /// <summary>
    /// Continuous scores: for every layer, its row scores plus the column scores of the layers that consume its
    /// output (<paramref name="consumers"/>: module → modules reading its output). A consumer whose input width
    /// differs from the layer's output width, or that has no scores, is an error naming both.
    /// </summary>
    public static IReadOnlyList<ImportanceScores> Reweight(IReadOnlyList<ImportanceScores> isolated,
        IReadOnlyDictionary<string, IReadOnlyList<string>> consumers)
    {
        var byModule = isolated.ToDictionary(s => s.Module);
        return isolated.Select(s =>
        {
            var rows = (double[])s.Rows.Clone();
            foreach (var c in consumers.TryGetValue(s.Module, out var list) ? list : [])
            {
                if (!byModule.TryGetValue(c, out var next))
                    throw new ArgumentException($"flow preservation: '{s.Module}' feeds '{c}', which has no importance scores");
                if (next.Cols.Length != rows.Length)
                    throw new ArgumentException(
                        $"flow preservation: '{s.Module}' has {rows.Length} output features but its consumer '{c}' has {next.Cols.Length} input features");
                for (var i = 0; i < rows.Length; i++) rows[i] += next.Cols[i];
            }
            return new ImportanceScores(s.Module, rows, (double[])s.Cols.Clone());
        }).ToList();
    }

    /// <summary><see cref="Reweight(IReadOnlyList{ImportanceScores}, IReadOnlyDictionary{string, IReadOnlyList{string}})"/> with the consumers of <see cref="InferConsumers"/>.</summary>
    public static IReadOnlyList<ImportanceScores> Reweight(IReadOnlyList<ImportanceScores> forwardOrder) =>
        Reweight(forwardOrder, InferConsumers(forwardOrder));

    private static bool Parallel(string a, string b)
    {
        var (pa, na) = Split(a);
        var (pb, nb) = Split(b);
        return pa == pb && ParallelNames.Any(set => set.Contains(na) && set.Contains(nb));
    }

    private static (string Parent, string Name) Split(string path) =>
        path.LastIndexOf('.') is var i and >= 0 ? (path[..i], path[(i + 1)..]) : ("", path);
}
