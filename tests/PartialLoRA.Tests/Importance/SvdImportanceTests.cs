using PartialLoRA.Importance;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Importance;

public class SvdImportanceTests
{
    public SvdImportanceTests() => _ = TestSupport.Torch;

    // Eq. 4–5 literally: W = PΛQ by SVD, V = QᵀΛ, importance of row i = ‖(W V)_i‖₂.
    private static double[] Eq5RowNorms(Tensor w)
    {
        var w64 = w.to(ScalarType.Float64);
        var (_, lambda, q) = torch.linalg.svd(w64, fullMatrices: false);
        var v = q.t() * lambda;
        return torch.linalg.vector_norm(w64.matmul(v), 2, [1]).data<double>().ToArray();
    }

    [Theory]
    [InlineData(7, 5)]
    [InlineData(5, 7)]
    [InlineData(6, 6)]
    [InlineData(40, 3)]
    public void Rows_and_columns_match_eq_5_computed_by_svd(int m, int n)
    {
        using var scope = torch.NewDisposeScope();
        var w = TestSupport.Randn(3, m, n);
        var s = SvdImportance.Compute("w", w);
        var expectRows = Eq5RowNorms(w);
        var expectCols = Eq5RowNorms(w.t());
        Assert.Equal(m, s.Rows.Length);
        Assert.Equal(n, s.Cols.Length);
        for (var i = 0; i < m; i++) Assert.Equal(expectRows[i], s.Rows[i], expectRows[i] * 1e-9);
        for (var j = 0; j < n; j++) Assert.Equal(expectCols[j], s.Cols[j], expectCols[j] * 1e-9);
    }

    [Fact]
    public void Columns_of_W_are_the_rows_of_W_transposed()
    {
        using var scope = torch.NewDisposeScope();
        var w = TestSupport.Randn(5, 9, 4);
        var a = SvdImportance.Compute("w", w);
        var b = SvdImportance.Compute("wt", w.t());
        for (var j = 0; j < 4; j++) Assert.Equal(a.Cols[j], b.Rows[j], a.Cols[j] * 1e-9);
        for (var i = 0; i < 9; i++) Assert.Equal(a.Rows[i], b.Cols[i], a.Rows[i] * 1e-9);
    }

    [Fact]
    public void Rows_that_carry_the_dominant_directions_rank_first()
    {
        using var scope = torch.NewDisposeScope();
        // Rows 2, 5, 7 are large; the others are small noise.
        var w = TestSupport.Randn(11, 10, 6) * 0.01;
        foreach (var r in new[] { 2, 5, 7 }) w[r].add_(TestSupport.Randn((ulong)r, 6));
        var s = SvdImportance.Compute("w", w);
        Assert.Equal([2, 5, 7], IndexSelection.TopK(s.Rows, 3));
    }

    [Fact]
    public void Signal_features_rank_first_on_the_constructed_task()
    {
        using var scope = torch.NewDisposeScope();
        var (model, _, _) = SignalTask.Build(n: 12, k: 4, samplesPerClass: 8, seed: 1);
        var target = TargetLayer.Resolve(model, ["layers.0.fc"]);
        var s = SvdImportance.Compute(target)[0];
        Assert.Equal([0, 1, 2, 3], IndexSelection.TopK(s.Cols, 4));
    }

    [Fact]
    public void Rejects_a_weight_that_is_not_a_matrix()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => SvdImportance.Compute("blocks.0.x", torch.ones(3)));
        Assert.Contains("blocks.0.x", e.Message);
        Assert.Contains("2-D", e.Message);
    }
}
