using PartialLoRA.Analysis;
using PartialLoRA.Sparsity;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Analysis;

public class AnalysisTests
{
    public AnalysisTests() => _ = TestSupport.Torch;

    [Fact]
    public void Residual_norms_are_frobenius_norms_normalized_by_the_largest()
    {
        using var scope = torch.NewDisposeScope();
        var norms = ResidualNorms.Compute([("l0.fc1", torch.ones(3, 4)), ("l1.fc1", torch.full(2, 2, 3f)), ("l2.fc1", torch.zeros(5, 5))]);
        Assert.Equal(["l0.fc1", "l1.fc1", "l2.fc1"], norms.Select(n => n.Module));
        Assert.Equal(Math.Sqrt(12), norms[0].Norm, 1e-9);
        Assert.Equal(6.0, norms[1].Norm, 1e-9);
        Assert.Equal(Math.Sqrt(12) / 6, norms[0].Normalized, 1e-12);
        Assert.Equal((1.0, 0.0), (norms[1].Normalized, norms[2].Normalized));
    }

    [Fact]
    public void Residual_norms_from_a_function_dispose_each_residual()
    {
        var made = new List<Tensor>();
        var norms = ResidualNorms.Compute(["a", "b"], m =>
        {
            var t = torch.full(2, 3, m == "a" ? 1f : 2f);
            made.Add(t);
            return t;
        });
        Assert.Equal(Math.Sqrt(6), norms[0].Norm, 1e-9);
        Assert.Equal(0.5, norms[0].Normalized, 1e-12);
        Assert.All(made, t => Assert.True(t.IsInvalid));
    }

    [Fact]
    public void Residual_norm_errors_name_the_module()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Contains("'x.fc1' given twice", Assert.Throws<ArgumentException>(() =>
            ResidualNorms.Compute([("x.fc1", torch.ones(2, 2)), ("x.fc1", torch.ones(2, 2))])).Message);
        Assert.Contains("'x.fc2': expected a 2-D", Assert.Throws<ArgumentException>(() => ResidualNorms.Compute([("x.fc2", torch.ones(3))])).Message);
        Assert.Throws<ArgumentException>(() => ResidualNorms.Compute(Array.Empty<(string, Tensor)>()));
    }

    private static PlanProvenance Prov(string measure) =>
        new() { Schedule = PlanSchedule.Algorithm1, Model = measure, ModelHash = "sha256:1", Measure = PartialLoRA.Importance.ImportanceMeasure.Svd, Threshold = 0.9 };

    [Fact]
    public void Overlap_of_two_plans_per_layer_rows_columns_and_elements()
    {
        var a = new SparsityPlan(Prov("a"), [new LayerSparsity("l0", 6, 4, 3, 2, [0, 1, 2], [0, 1]), new LayerSparsity("l1", 4, 4, 0, 0, [], [])]);
        var b = new SparsityPlan(Prov("b"), [new LayerSparsity("l0", 6, 4, 2, 4, [2, 5], [0, 1, 2, 3]), new LayerSparsity("l1", 4, 4, 0, 0, [], [])]);
        var o = SubnetworkOverlap.Compare(a, b);
        Assert.Equal(new SetOverlap(3, 2, 1, 0.5, 0.25), o[0].Rows);
        Assert.Equal(new SetOverlap(2, 4, 2, 1.0, 0.5), o[0].Cols);
        // elements: A = 3·2 = 6, B = 2·4 = 8, A ∩ B = 1·2 = 2, union = 12
        Assert.Equal(2.0 / 6, o[0].ElementOverlap, 1e-12);
        Assert.Equal(2.0 / 12, o[0].ElementJaccard, 1e-12);
        Assert.Equal((1.0, 1.0), (o[1].ElementOverlap, o[1].ElementJaccard)); // two empty subnetworks agree

        var pairs = SubnetworkOverlap.Pairwise([("svd", a), ("snip", b), ("imp", a)]);
        Assert.Equal([("svd", "snip"), ("svd", "imp"), ("snip", "imp")], pairs.Select(p => (p.A, p.B)));
        Assert.Equal(1.0, pairs[1].Layers[0].ElementJaccard);
    }

    [Fact]
    public void Overlap_needs_index_sets_and_matching_shapes()
    {
        var a = new SparsityPlan(Prov("a"), [new LayerSparsity("l0", 6, 4, 3, 2, [0, 1, 2], [0, 1])]);
        var ratiosOnly = new SparsityPlan(Prov("r"), [new LayerSparsity("l0", 6, 4, 3, 2)]);
        Assert.Contains("no kept row indices", Assert.Throws<ArgumentException>(() => SubnetworkOverlap.Compare(a, ratiosOnly)).Message);
        var other = new SparsityPlan(Prov("o"), [new LayerSparsity("l0", 5, 4, 3, 2, [0, 1, 2], [0, 1])]);
        Assert.Contains("'l0' is 6×4 in one plan and 5×4", Assert.Throws<ArgumentException>(() => SubnetworkOverlap.Compare(a, other)).Message);
        var disjoint = new SparsityPlan(Prov("d"), [new LayerSparsity("l9", 6, 4, 3, 2, [0, 1, 2], [0, 1])]);
        Assert.Throws<ArgumentException>(() => SubnetworkOverlap.Compare(a, disjoint));
    }

    [Fact]
    public void Preserved_fraction_per_layer()
    {
        var plan = new SparsityPlan(Prov("a"), [new LayerSparsity("l0", 8, 4, 2, 3), new LayerSparsity("l1", 10, 10, 3, 3) { Density = 0.3 }]);
        var f = PreservedFraction.Of(plan);
        Assert.Equal(new LayerFraction("l0", 0.25, 0.75, 0.1875), f[0]);
        Assert.Equal(0.3, f[1].Elements); // element-wise schedule: its density
    }
}
