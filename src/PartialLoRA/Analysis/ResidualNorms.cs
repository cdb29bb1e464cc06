using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Analysis;

/// <summary>‖ΔW_l‖ of one adapted layer (App. C).</summary>
/// <param name="Norm">Frobenius norm of the dense, scaled ΔW.</param>
/// <param name="Normalized">Norm divided by the largest norm among the layers measured together (App. C, Fig. 7 plots normalized magnitudes).</param>
public sealed record ResidualNorm(string Module, double Norm, double Normalized);

/// <summary>
/// App. C: the magnitude of the residual ΔW_l that fine-tuning added to each layer (LoRA vs Partial- vs
/// Targeted-LoRA). Takes (module path, ΔW) pairs — e.g. each adapter layer's <c>DeltaWeight()</c> — so it does not
/// depend on the adapter types.
/// </summary>
public static class ResidualNorms
{
    /// <summary>Norms in the given order. The tensors are only read, not disposed.</summary>
    public static IReadOnlyList<ResidualNorm> Compute(IEnumerable<(string Module, Tensor DeltaW)> residuals) =>
        Normalize(residuals.Select(r => (r.Module, Norm(r.Module, r.DeltaW))));

    /// <summary>
    /// Norms of the residuals that <paramref name="deltaWeight"/> returns for each module (e.g.
    /// <c>m =&gt; adapters[m].DeltaWeight()</c>), one at a time: each ΔW is disposed after use.
    /// </summary>
    public static IReadOnlyList<ResidualNorm> Compute(IEnumerable<string> modules, Func<string, Tensor> deltaWeight) =>
        Normalize(modules.Select(m =>
        {
            using var delta = deltaWeight(m);
            return (m, Norm(m, delta));
        }));

    private static double Norm(string module, Tensor delta)
    {
        if (delta.dim() != 2)
            throw new ArgumentException($"residual of '{module}': expected a 2-D ΔW, got shape ({string.Join(",", delta.shape)})");
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var norm = torch.linalg.vector_norm(delta.detach().to(ScalarType.Float64), 2).item<double>();
        return double.IsFinite(norm) ? norm : throw new ArgumentException($"residual of '{module}' has a non-finite norm ({norm})");
    }

    private static IReadOnlyList<ResidualNorm> Normalize(IEnumerable<(string Module, double Norm)> norms)
    {
        var list = norms.ToList();
        if (list.Count == 0) throw new ArgumentException("no residuals given");
        var duplicate = list.GroupBy(n => n.Module).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"residual of '{duplicate.Key}' given twice");
        var max = list.Max(n => n.Norm);
        return list.Select(n => new ResidualNorm(n.Module, n.Norm, max > 0 ? n.Norm / max : 0)).ToList();
    }
}
