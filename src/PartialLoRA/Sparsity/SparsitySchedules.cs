using PartialLoRA.Importance;
using PartialLoRA.Models;

namespace PartialLoRA.Sparsity;

/// <summary>
/// The random-pruning baselines of §5 ("Setting and Baselines", Fig. 5), as plans of per-layer densities:
/// Balanced (Frankle &amp; Carbin, 2019) gives every layer the same density p; Pyramidal (Liu et al., 2022) gives a
/// layer at depth l the density p_l = p^l (l = 1 for the first block), so deeper layers keep fewer parameters.
/// Each layer's <see cref="LayerSparsity.Density"/> is the exact p_l for element-wise masks; its kept row/column
/// counts are p_l·m and p_l·n rounded to the nearest integer, for use as Eq. 6 ratios.
/// </summary>
public static class SparsitySchedules
{
    /// <summary>The Balanced sweep of §5: p = 0.1, 0.2, …, 0.9.</summary>
    public static IReadOnlyList<double> BalancedSweep { get; } = Enumerable.Range(1, 9).Select(i => i / 10.0).ToArray();

    public static SparsityPlan Balanced(IEnumerable<(string Module, int Rows, int Cols)> layers, double p, PlanProvenance provenance)
    {
        CheckP(p);
        return new SparsityPlan(provenance with { Schedule = PlanSchedule.Balanced, P = p },
            layers.Select(l => Layer(l, p)).ToList());
    }

    /// <summary>Pyramidal with the depth of each layer given by <paramref name="depthOf"/> (1-based).</summary>
    public static SparsityPlan Pyramidal(IEnumerable<(string Module, int Rows, int Cols)> layers, Func<string, int> depthOf, double p,
        PlanProvenance provenance)
    {
        CheckP(p);
        return new SparsityPlan(provenance with { Schedule = PlanSchedule.Pyramidal, P = p },
            layers.Select(l =>
            {
                var depth = depthOf(l.Module);
                if (depth < 1) throw new ArgumentException($"layer '{l.Module}': depth {depth}; Pyramidal depths start at 1 (the first block)");
                return Layer(l, Math.Pow(p, depth));
            }).ToList());
    }

    /// <summary>Pyramidal over a block-structured model's targets: depth = block index + 1.</summary>
    public static SparsityPlan Pyramidal(IBlockwiseClassifier model, IEnumerable<string> targets, double p, PlanProvenance provenance) =>
        Pyramidal(Shapes(model, targets), module => model.BlockIndexOf(module) is { } b ? b + 1
            : throw new ArgumentException($"layer '{module}' is outside the model's blocks, so it has no depth for the Pyramidal schedule"), p, provenance);

    /// <summary>Balanced over a model's targets.</summary>
    public static SparsityPlan Balanced(IClassifier model, IEnumerable<string> targets, double p, PlanProvenance provenance) =>
        Balanced(Shapes(model, targets), p, provenance);

    private static IEnumerable<(string, int, int)> Shapes(IClassifier model, IEnumerable<string> targets) =>
        TargetLayer.Resolve(model, targets).Select(t => (t.Path, t.Rows, t.Cols));

    private static LayerSparsity Layer((string Module, int Rows, int Cols) l, double density) =>
        new(l.Module, l.Rows, l.Cols, Round(density * l.Rows), Round(density * l.Cols)) { Density = density };

    private static int Round(double x) => (int)Math.Round(x, MidpointRounding.AwayFromZero);

    private static void CheckP(double p)
    {
        if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "the schedule's density p must be in (0, 1]");
    }
}
