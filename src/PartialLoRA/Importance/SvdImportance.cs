using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Importance;

/// <summary>
/// The SVD importance of §4.2.2 (Eq. 4–5). With W = PΛQ (P: left singular vectors, Λ: singular values, Q: right
/// singular vectors as rows, i.e. torch's Vh), the weighted right singular vectors are V = QᵀΛ (Eq. 4, written QΛ in
/// the paper) and the importance of row i is ‖(W V)_i‖₂ (Eq. 5): how strongly that output feature aligns with the
/// dominant directions of W. Column importance is the same computation on Wᵀ. Needs no data.
/// </summary>
public static class SvdImportance
{
    /// <summary>Row and column importance of one weight (m×n), computed in float32 on the weight's device.</summary>
    public static ImportanceScores Compute(string module, Tensor weight)
    {
        if (weight.dim() != 2)
            throw new ArgumentException($"SVD importance of '{module}': expected a 2-D weight, got shape ({string.Join(",", weight.shape)})");
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var w = weight.detach().to(ScalarType.Float32);
        // One SVD serves both sides: Wᵀ = QᵀΛPᵀ, so for Wᵀ the roles of P and Q swap.
        var (p, lambda, q) = torch.linalg.svd(w, fullMatrices: false);
        var rows = RowNorms(w, q.t() * lambda);     // Eq. 4–5 on W:  V = QᵀΛ
        var cols = RowNorms(w.t(), p * lambda);     // Eq. 4–5 on Wᵀ: V = PΛ
        return new ImportanceScores(module, rows, cols);
    }

    /// <summary>Computes <see cref="Compute(string, Tensor)"/> for every target.</summary>
    public static IReadOnlyList<ImportanceScores> Compute(IEnumerable<TargetLayer> targets) =>
        targets.Select(t => Compute(t.Path, t.Weight)).ToList();

    // ‖(M V)_i‖₂ for every row i of M.
    private static double[] RowNorms(Tensor m, Tensor v) =>
        torch.linalg.vector_norm(m.matmul(v), 2, [1]).to(ScalarType.Float64).cpu().data<double>().ToArray();
}
