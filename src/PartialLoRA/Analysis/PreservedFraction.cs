using PartialLoRA.Sparsity;

namespace PartialLoRA.Analysis;

/// <summary>The share of a layer that a plan keeps (App. G).</summary>
/// <param name="Rows">|I_row| / m.</param>
/// <param name="Cols">|I_col| / n.</param>
/// <param name="Elements">Share of the m·n elements of ΔW in the subnetwork: |I_row|·|I_col| / (m·n), or the density of an element-wise schedule.</param>
public sealed record LayerFraction(string Module, double Rows, double Cols, double Elements);

/// <summary>App. G: the fraction of elements each layer's extracted subnetwork preserves, per layer of a plan.</summary>
public static class PreservedFraction
{
    public static IReadOnlyList<LayerFraction> Of(SparsityPlan plan) =>
        plan.Layers.Select(l => new LayerFraction(l.Module, l.RowRatio, l.ColRatio, l.Density ?? l.RowRatio * l.ColRatio)).ToList();
}
