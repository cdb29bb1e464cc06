using Microsoft.Data.Analysis;
using PartialLoRA.Analysis;
using PartialLoRA.Importance;
using PartialLoRA.Sparsity;

namespace PartialLoRA.Reproduction;

/// <summary>Sizes of notebook 13 per profile: the few-shot draws compared (App. E "different shots").</summary>
/// <param name="Draws">Seeds of the D_t draws; the first is notebook 02's draw (its plans are reused).</param>
/// <param name="DrawMeasures">The measures whose plans are compared across draws.</param>
public sealed record AppendixESetup(Algorithm1Setup Derivation, ulong[] Draws, ImportanceMeasure[] DrawMeasures)
{
    public static AppendixESetup Smoke { get; } = new(Algorithm1Setup.Smoke, [0, 1], [ImportanceMeasure.Svd, ImportanceMeasure.Imp]);
    public static AppendixESetup Lab { get; } = new(Algorithm1Setup.Lab, [0, 1, 2], Algorithm1Study.Measures);
}

/// <summary>One layer's overlap of two subnetworks, with what two random subnetworks of the same sizes would share.</summary>
/// <param name="Overlap">|A ∩ B| / min(|A|, |B|) over the layer's elements (<see cref="SubnetworkOverlap"/>).</param>
/// <param name="Chance">The expected value of <see cref="Overlap"/> for index sets of the same sizes drawn uniformly at random.</param>
public sealed record OverlapPoint(string A, string B, string Module, int Block, double Overlap, double Chance);

/// <summary>
/// App. E (Figs. 12–15): do different importance measures, or one measure on different few-shot draws, extract the
/// same subnetwork? Per layer, the element overlap |A ∩ B| / min(|A|, |B|) of the kept (row, column) sets, beside
/// the overlap two random subnetworks of the same sizes would have by chance — a large subnetwork overlaps a lot with
/// anything, so the chance level is what an overlap must be read against. The paper prints no values (the figures
/// are plots); its stated findings are in <see cref="PaperFindings"/>.
/// </summary>
public static class AppendixE
{
    /// <summary>App. E's findings for CIFAR-10 (the task the lab backbone runs here), as the paper states them.</summary>
    public static readonly IReadOnlyDictionary<string, string> PaperFindings = new Dictionary<string, string>
    {
        ["measures"] = "> 50% in the first 6 of 12 layers (CIFAR-10, Pets: SVD vs gradient-based)",
        ["draws SVD"] = "large overlap between draws",
        ["draws gradient"] = "significant overlap between draws",
    };

    /// <summary>Pairwise overlaps of named plans (measures, or draws of one measure), per layer.</summary>
    public static IReadOnlyList<OverlapPoint> Pairwise(IReadOnlyList<(string Name, SparsityPlan Plan)> plans)
    {
        var points = new List<OverlapPoint>();
        foreach (var (a, b, layers) in SubnetworkOverlap.Pairwise(plans))
        {
            var pa = plans.First(p => p.Name == a).Plan.ByModule;
            var pb = plans.First(p => p.Name == b).Plan.ByModule;
            points.AddRange(layers.Select(l => new OverlapPoint(a, b, l.Module, AppendixG.Block(l.Module), l.ElementOverlap, Chance(pa[l.Module], pb[l.Module]))));
        }
        return points;
    }

    /// <summary>
    /// E[|A∩B| / min(|A|,|B|)] for kept rows and columns drawn uniformly with the plans' sizes: rows and columns are
    /// independent, E|rows ∩| = r_A r_B / m and likewise for columns, so the expected element intersection is their
    /// product.
    /// </summary>
    public static double Chance(LayerSparsity a, LayerSparsity b)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols)
            throw new ArgumentException($"layer '{a.Module}' is {a.Rows}×{a.Cols} in one plan and {b.Rows}×{b.Cols} in the other");
        double sizeA = (double)a.KeptRows * a.KeptCols, sizeB = (double)b.KeptRows * b.KeptCols;
        var smaller = Math.Min(sizeA, sizeB);
        if (smaller == 0) return sizeA == sizeB ? 1 : 0;
        var inter = (double)a.KeptRows * b.KeptRows / a.Rows * ((double)a.KeptCols * b.KeptCols / a.Cols);
        return inter / smaller;
    }

    /// <summary>One row per (pair, block): the overlap (mean over the block's target layers) and the chance level.</summary>
    public static DataFrame LayerFrame(IReadOnlyList<OverlapPoint> points)
    {
        var rows = ByBlock(points);
        return new DataFrame(
            new StringDataFrameColumn("pair", rows.Select(r => r.Pair)),
            new Int32DataFrameColumn("block", rows.Select(r => r.Block)),
            new DoubleDataFrameColumn("overlap", rows.Select(r => r.Overlap)),
            new DoubleDataFrameColumn("chance", rows.Select(r => r.Chance)),
            new DoubleDataFrameColumn("overlap − chance", rows.Select(r => r.Overlap - r.Chance)));
    }

    /// <summary>Per pair: one curve over the blocks (mean over each block's target layers), for the figures.</summary>
    public static IReadOnlyList<(string Pair, double[] Depth, double[] Overlap, double[] Chance)> Curves(IReadOnlyList<OverlapPoint> points) =>
        ByBlock(points).GroupBy(r => r.Pair).Select(g => (g.Key,
            g.Select(r => (double)r.Block).ToArray(), g.Select(r => r.Overlap).ToArray(), g.Select(r => r.Chance).ToArray())).ToList();

    /// <summary>
    /// The pairs' curves summarised per <paramref name="group"/> (e.g. every pair of draws of one measure), so many pairs
    /// stay readable in one figure: per block (its index, 0 = first) the mean, lowest and highest overlap of the group's
    /// pairs and their mean chance level.
    /// </summary>
    public static IReadOnlyList<(string Group, int Pairs, double[] Depth, double[] Mean, double[] Min, double[] Max, double[] Chance)> GroupCurves(
        IReadOnlyList<OverlapPoint> points, Func<OverlapPoint, string> group) =>
        points.GroupBy(group).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var blocks = ByBlock(g.ToList()).GroupBy(r => r.Block).OrderBy(b => b.Key).ToList();
            return (g.Key, g.Select(p => (p.A, p.B)).Distinct().Count(), blocks.Select(b => (double)b.Key).ToArray(),
                blocks.Select(b => b.Average(r => r.Overlap)).ToArray(), blocks.Select(b => b.Min(r => r.Overlap)).ToArray(),
                blocks.Select(b => b.Max(r => r.Overlap)).ToArray(), blocks.Select(b => b.Average(r => r.Chance)).ToArray());
        }).ToList();

    /// <summary>
    /// The paper's finding beside ours, per pair: mean overlap in the first and second half of the blocks and the
    /// chance level. <paramref name="finding"/> is the key of <see cref="PaperFindings"/> that applies to the pairs.
    /// </summary>
    public static DataFrame SummaryFrame(IReadOnlyList<OverlapPoint> points, string finding)
    {
        var curves = Curves(points);
        var paper = PaperFindings.TryGetValue(finding, out var f) ? f : throw new ArgumentException($"no App. E finding '{finding}'; known: {string.Join(", ", PaperFindings.Keys)}");
        return new DataFrame(
            new StringDataFrameColumn("pair", curves.Select(c => c.Pair)),
            new StringDataFrameColumn("paper (App. E)", curves.Select(_ => paper)),
            new DoubleDataFrameColumn("ours: first half of blocks", curves.Select(c => c.Overlap.Take(Math.Max(1, c.Overlap.Length / 2)).Average())),
            new DoubleDataFrameColumn("ours: second half", curves.Select(c => c.Overlap.Skip(c.Overlap.Length / 2).Average())),
            new DoubleDataFrameColumn("chance (mean)", curves.Select(c => c.Chance.Average())));
    }

    private static List<(string Pair, int Block, double Overlap, double Chance)> ByBlock(IReadOnlyList<OverlapPoint> points)
    {
        if (points.Count == 0) throw new ArgumentException("no overlaps given");
        return points.GroupBy(p => (Pair: $"{p.A} vs {p.B}", p.Block)).OrderBy(g => g.Key.Pair, StringComparer.Ordinal).ThenBy(g => g.Key.Block)
            .Select(g => (g.Key.Pair, g.Key.Block, g.Average(p => p.Overlap), g.Average(p => p.Chance))).ToList();
    }
}
