using PartialLoRA.Importance;
using PartialLoRA.Sparsity;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Importance;

public class GradientImportanceTests
{
    public GradientImportanceTests() => _ = TestSupport.Torch;

    // For logits = x Wᵀ + b and L = mean cross-entropy: ∂L/∂W = (softmax(logits) − onehot(y))ᵀ x / N.
    private static double[,] ClosedFormGradient(Tensor w, Tensor b, Tensor x, Tensor y)
    {
        var logits = x.matmul(w.t()) + b;
        var delta = logits.softmax(1) - nn.functional.one_hot(y, w.shape[0]).to(ScalarType.Float32);
        var g = delta.t().matmul(x) / x.shape[0];
        var m = (int)w.shape[0];
        var n = (int)w.shape[1];
        var data = g.to(ScalarType.Float64).data<double>().ToArray();
        var result = new double[m, n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++) result[i, j] = data[i * n + j];
        return result;
    }

    [Theory]
    [InlineData(ImportanceMeasure.Snip)]
    [InlineData(ImportanceMeasure.Imp)]
    public void Scores_are_row_and_column_sums_of_the_closed_form_gradient(ImportanceMeasure measure)
    {
        using var scope = torch.NewDisposeScope();
        var model = BlockMlp.Random([5, 3], seed: 2); // a single Linear: the classifier
        using var gen = new torch.Generator(4);
        var x = torch.randn(11, 5, generator: gen);
        var y = torch.randint(0, 3, [11], generator: gen);
        var head = TargetLayer.Resolve(model, ["classifier"]);
        var s = GradientImportance.Compute(model, new FewShotSet(x, y), head, measure)[0];

        var w = head[0].Weight.detach();
        var g = ClosedFormGradient(w, head[0].Linear.bias!.detach(), x, y);
        var wv = w.to(ScalarType.Float64).data<double>().ToArray();
        for (var i = 0; i < 3; i++)
        {
            var expect = Enumerable.Range(0, 5).Sum(j => Math.Abs(g[i, j] * (measure == ImportanceMeasure.Imp ? wv[i * 5 + j] : 1)));
            Assert.Equal(expect, s.Rows[i], 1e-5);
        }
        for (var j = 0; j < 5; j++)
        {
            var expect = Enumerable.Range(0, 3).Sum(i => Math.Abs(g[i, j] * (measure == ImportanceMeasure.Imp ? wv[i * 5 + j] : 1)));
            Assert.Equal(expect, s.Cols[j], 1e-5);
        }
    }

    [Theory]
    [InlineData(ImportanceMeasure.Snip, 1)]
    [InlineData(ImportanceMeasure.Snip, 2)]
    [InlineData(ImportanceMeasure.Snip, 3)]
    [InlineData(ImportanceMeasure.Imp, 1)]
    [InlineData(ImportanceMeasure.Imp, 2)]
    public void Signal_features_rank_first_on_the_constructed_task(ImportanceMeasure measure, long seed)
    {
        using var scope = torch.NewDisposeScope();
        var (model, x, y) = SignalTask.Build(n: 12, k: 4, samplesPerClass: 16, seed: seed);
        var target = TargetLayer.Resolve(model, ["layers.0.fc"]);
        var s = GradientImportance.Compute(model, new FewShotSet(x, y), target, measure)[0];
        Assert.True(IndexSelection.TopK(s.Cols, 4).SequenceEqual([0, 1, 2, 3]), string.Join(" ", s.Cols.Select(c => c.ToString("E2"))));
    }

    [Fact]
    public void Batching_does_not_change_the_scores_and_the_model_is_left_as_it_was()
    {
        using var scope = torch.NewDisposeScope();
        var model = BlockMlp.Random([6, 8, 8, 3], seed: 7);
        using var gen = new torch.Generator(8);
        var data = new FewShotSet(torch.randn(13, 6, generator: gen), torch.randint(0, 3, [13], generator: gen));
        var targets = TargetLayer.Resolve(model, ["layers.0.fc", "layers.1.fc"]);
        // State the call must give back: a frozen non-target parameter, an existing gradient, train mode.
        model.train();
        var head = TargetLayer.Resolve(model, ["classifier"])[0].Weight;
        head.requires_grad = false;
        var existing = torch.full(8, 6, 0.5f);
        targets[0].Weight.grad = existing;

        var whole = GradientImportance.Compute(model, data, targets, ImportanceMeasure.Imp);
        var batched = GradientImportance.Compute(model, data, targets, ImportanceMeasure.Imp, batchSize: 4);
        for (var l = 0; l < 2; l++)
        {
            for (var i = 0; i < whole[l].Rows.Length; i++) Assert.Equal(whole[l].Rows[i], batched[l].Rows[i], 1e-6);
            for (var j = 0; j < whole[l].Cols.Length; j++) Assert.Equal(whole[l].Cols[j], batched[l].Cols[j], 1e-6);
        }
        Assert.True(model.training);
        Assert.False(head.requires_grad);
        Assert.True(targets[1].Weight.requires_grad);
        Assert.True(targets[0].Weight.grad!.eq(existing).all().item<bool>());
        Assert.Null(targets[1].Weight.grad);
    }

    [Fact]
    public void Rejects_labels_outside_the_classes_and_svd_as_a_gradient_measure()
    {
        using var scope = torch.NewDisposeScope();
        var model = BlockMlp.Random([4, 3], seed: 1);
        var targets = TargetLayer.Resolve(model, ["classifier"]);
        var bad = new FewShotSet(torch.zeros(2, 4), torch.tensor(new long[] { 0, 3 }));
        var e = Assert.Throws<ArgumentException>(() => GradientImportance.Compute(model, bad, targets, ImportanceMeasure.Snip));
        Assert.Contains("[0, 3)", e.Message);
        var ok = new FewShotSet(torch.zeros(2, 4), torch.tensor(new long[] { 0, 2 }));
        Assert.Throws<ArgumentException>(() => GradientImportance.Compute(model, ok, targets, ImportanceMeasure.Svd));
    }
}
