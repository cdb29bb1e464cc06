using Microsoft.Data.Analysis;
using PartialLoRA.Analysis;
using PartialLoRA.Importance;
using PartialLoRA.Sparsity;

namespace PartialLoRA.Reproduction;

/// <summary>
/// App. G, Fig. 17: the fraction of each layer's elements that the subnetwork extracted by Algorithm 1 preserves,
/// |I_row|·|I_col| / (m·n), per importance measure (SVD, SNIP, IMP) and layer. The paper prints no values (Fig. 17
/// is a plot); its stated finding is that the fraction goes down in deeper layers, which <see cref="TrendFrame"/>
/// checks against ours.
/// </summary>
public static class AppendixG
{
    /// <summary>The paper's finding for Fig. 17, as stated in App. G.</summary>
    public const string PaperFinding = "decreases with depth";

    /// <summary>The plans of <see cref="Algorithm1Study.Measures"/> from the cache notebook 02 fills (derived when absent).</summary>
    public static IReadOnlyList<(ImportanceMeasure Measure, SparsityPlan Plan)> Plans(LabVisionTask task, IReadOnlyList<string> targets, string cacheFolder) =>
        Algorithm1Study.Measures.Select(m => (m, task.Plan(targets, Algorithm1Study.Options(m), cacheFolder))).ToList();

    /// <summary>Per layer: the fraction of rows, columns and elements each measure's subnetwork keeps.</summary>
    public static DataFrame LayerFrame(IReadOnlyList<(ImportanceMeasure Measure, SparsityPlan Plan)> plans)
    {
        var modules = plans[0].Plan.Layers.Select(l => l.Module).ToList();
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("layer", modules.Select(Algorithm1Study.LayerLabel)) };
        foreach (var (measure, plan) in plans)
        {
            var f = PreservedFraction.Of(plan).ToDictionary(x => x.Module);
            columns.Add(new DoubleDataFrameColumn($"elements {Name(measure)}", modules.Select(m => f[m].Elements)));
        }
        foreach (var (measure, plan) in plans)
        {
            var f = PreservedFraction.Of(plan).ToDictionary(x => x.Module);
            columns.Add(new DoubleDataFrameColumn($"rows {Name(measure)}", modules.Select(m => f[m].Rows)));
            columns.Add(new DoubleDataFrameColumn($"cols {Name(measure)}", modules.Select(m => f[m].Cols)));
        }
        return new DataFrame(columns);
    }

    /// <summary>Per block (its index, 0 = first, as the layer table names it): kept elements over all elements of the block's target layers, per measure.</summary>
    public static IReadOnlyList<(ImportanceMeasure Measure, double[] Depth, double[] Fraction)> ByDepth(
        IReadOnlyList<(ImportanceMeasure Measure, SparsityPlan Plan)> plans) =>
        plans.Select(p =>
        {
            var blocks = p.Plan.Layers.GroupBy(l => Block(l.Module)).OrderBy(g => g.Key).ToList();
            return (p.Measure,
                blocks.Select(g => (double)g.Key).ToArray(),
                blocks.Select(g => g.Sum(l => (double)l.KeptRows * l.KeptCols) / g.Sum(l => (double)l.Rows * l.Cols)).ToArray());
        }).ToList();

    /// <summary>
    /// The paper's finding against ours, per measure: the mean fraction in the first and the second half of the blocks
    /// and the rank correlation (Spearman) of fraction with depth; negative = decreasing, as the paper reports.
    /// </summary>
    public static DataFrame TrendFrame(IReadOnlyList<(ImportanceMeasure Measure, SparsityPlan Plan)> plans)
    {
        var depth = ByDepth(plans);
        return new DataFrame(
            new StringDataFrameColumn("importance", depth.Select(d => Name(d.Measure))),
            new StringDataFrameColumn("paper (App. G)", depth.Select(_ => PaperFinding)),
            new DoubleDataFrameColumn("ours: first half of blocks", depth.Select(d => d.Fraction.Take(d.Fraction.Length / 2).DefaultIfEmpty(double.NaN).Average())),
            new DoubleDataFrameColumn("ours: second half", depth.Select(d => d.Fraction.Skip(d.Fraction.Length / 2).Average())),
            new DoubleDataFrameColumn("ours: Spearman ρ(depth, fraction)", depth.Select(d => Spearman(d.Depth, d.Fraction))),
            new StringDataFrameColumn("ours", depth.Select(d => Spearman(d.Depth, d.Fraction) switch
            {
                < -0.3 => "decreases with depth",
                > 0.3 => "increases with depth",
                double.NaN => "constant",
                _ => "no clear trend",
            })));
    }

    /// <summary>Spearman's rank correlation (average ranks for ties); NaN when either side is constant.</summary>
    public static double Spearman(double[] x, double[] y)
    {
        if (x.Length != y.Length || x.Length < 2) throw new ArgumentException($"Spearman: need two equally long series of at least 2 values, got {x.Length} and {y.Length}");
        var (rx, ry) = (Ranks(x), Ranks(y));
        double mx = rx.Average(), my = ry.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static double[] Ranks(double[] v)
    {
        var order = Enumerable.Range(0, v.Length).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (var k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    /// <summary>The block index of a CLIP encoder layer path (…layers.N…).</summary>
    public static int Block(string module)
    {
        var parts = module.Split('.');
        var i = Array.IndexOf(parts, "layers");
        return i >= 0 && i + 1 < parts.Length && int.TryParse(parts[i + 1], out var b) ? b
            : throw new ArgumentException($"layer '{module}' is not inside an encoder block (…layers.N…)");
    }

    internal static string Name(ImportanceMeasure m) => SparsityPlanJson.Name(m).ToUpperInvariant();
}
