using PartialLoRA.Sparsity;

namespace PartialLoRA.Analysis;

/// <summary>Agreement of two index sets A and B.</summary>
/// <param name="Intersection">|A ∩ B|.</param>
/// <param name="Overlap">|A ∩ B| / min(|A|, |B|): 1 when the smaller set lies inside the larger (1 when both are empty).</param>
/// <param name="Jaccard">|A ∩ B| / |A ∪ B| (1 when both are empty).</param>
public sealed record SetOverlap(int SizeA, int SizeB, int Intersection, double Overlap, double Jaccard)
{
    public static SetOverlap Of(IReadOnlyCollection<int> a, IReadOnlyCollection<int> b)
    {
        var inter = a.Intersect(b).Count();
        var union = a.Count + b.Count - inter;
        var smaller = Math.Min(a.Count, b.Count);
        return new SetOverlap(a.Count, b.Count, inter, smaller == 0 ? (union == 0 ? 1 : 0) : (double)inter / smaller,
            union == 0 ? 1 : (double)inter / union);
    }
}

/// <summary>
/// The overlap of one layer's subnetworks in two plans: kept rows, kept columns, and kept elements (the element
/// (i, j) is in a subnetwork when row i and column j are both kept, so |elements A ∩ B| = |rows ∩|·|cols ∩|).
/// </summary>
public sealed record LayerOverlap(string Module, SetOverlap Rows, SetOverlap Cols, double ElementOverlap, double ElementJaccard);

/// <summary>
/// App. E: how much the subnetworks extracted by different importance measures (SVD, SNIP, IMP), or by one
/// measure on different shot draws, agree, layer by layer. Uses the plans' kept index sets.
/// </summary>
public static class SubnetworkOverlap
{
    /// <summary>Per-layer overlap of two plans over the layers they share (in <paramref name="a"/>'s order); both must carry index sets and agree on shapes.</summary>
    public static IReadOnlyList<LayerOverlap> Compare(SparsityPlan a, SparsityPlan b)
    {
        var other = b.ByModule;
        var result = new List<LayerOverlap>();
        foreach (var la in a.Layers)
        {
            if (!other.TryGetValue(la.Module, out var lb)) continue;
            if (la.Rows != lb.Rows || la.Cols != lb.Cols)
                throw new ArgumentException($"layer '{la.Module}' is {la.Rows}×{la.Cols} in one plan and {lb.Rows}×{lb.Cols} in the other");
            var rows = SetOverlap.Of(Indices(la.RowIndices, la.Module, "row"), Indices(lb.RowIndices, la.Module, "row"));
            var cols = SetOverlap.Of(Indices(la.ColIndices, la.Module, "column"), Indices(lb.ColIndices, la.Module, "column"));
            double interElems = (double)rows.Intersection * cols.Intersection;
            double sizeA = (double)rows.SizeA * cols.SizeA, sizeB = (double)rows.SizeB * cols.SizeB;
            var smaller = Math.Min(sizeA, sizeB);
            var union = sizeA + sizeB - interElems;
            result.Add(new LayerOverlap(la.Module, rows, cols,
                smaller == 0 ? (union == 0 ? 1 : 0) : interElems / smaller,
                union == 0 ? 1 : interElems / union));
        }
        if (result.Count == 0) throw new ArgumentException("the two plans share no layers");
        return result;
    }

    /// <summary>All pairs of named plans (e.g. "svd", "snip", "imp", or one name per shot seed): (name A, name B, per-layer overlap), A before B in the given order.</summary>
    public static IReadOnlyList<(string A, string B, IReadOnlyList<LayerOverlap> Layers)> Pairwise(IReadOnlyList<(string Name, SparsityPlan Plan)> plans)
    {
        var pairs = new List<(string, string, IReadOnlyList<LayerOverlap>)>();
        for (var i = 0; i < plans.Count; i++)
            for (var j = i + 1; j < plans.Count; j++)
                pairs.Add((plans[i].Name, plans[j].Name, Compare(plans[i].Plan, plans[j].Plan)));
        return pairs;
    }

    private static int[] Indices(int[]? indices, string module, string side) =>
        indices ?? throw new ArgumentException($"layer '{module}' has no kept {side} indices in one of the plans (Balanced/Pyramidal plans carry ratios only)");
}
