using PartialLoRA.Importance;
using PartialLoRA.Models;
using PartialLoRA.Sparsity;
using PartialLoRA.Tests.Importance;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Sparsity;

public class SparsityRatioDerivationTests
{
    private readonly ITestOutputHelper output;

    public SparsityRatioDerivationTests(ITestOutputHelper output)
    {
        _ = TestSupport.Torch;
        this.output = output;
    }

    [Fact]
    public void Fast_searches_equal_the_naive_loop_for_every_monotone_predicate()
    {
        for (var size = 1; size <= 70; size++)
        {
            var maxBinary = 1 + (int)Math.Ceiling(Math.Log2(size));
            for (var boundary = 1; boundary <= size + 1; boundary++) // passes(r) ⇔ r < boundary
            {
                var naive = SparsityRatioDerivation.NaiveSearch(size, r => r < boundary);
                var binary = SparsityRatioDerivation.BinarySearch(size, r => r < boundary);
                var galloping = SparsityRatioDerivation.GallopingSearch(size, r => r < boundary);
                Assert.Equal(naive with { Evaluations = 0 }, binary with { Evaluations = 0 });
                Assert.Equal(naive with { Evaluations = 0 }, galloping with { Evaluations = 0 });
                Assert.Equal(boundary <= size ? boundary : null, naive.FirstFailing);
                Assert.Equal(boundary <= size ? size - boundary + 1 : 0, naive.Kept);
                Assert.Equal(naive.Evaluations, binary.NaiveEvaluations);
                Assert.InRange(binary.Evaluations, 1, maxBinary);
                if (boundary > size) Assert.Equal(1, binary.Evaluations); // full removal passes: one evaluation
                Assert.InRange(galloping.Evaluations, 1, 2 * (int)Math.Ceiling(Math.Log2(naive.Evaluations + 1)) + 1);
            }
        }
    }

    [Fact]
    public void On_a_non_monotone_curve_binary_search_returns_a_crossing_whose_kept_set_passes()
    {
        // Accuracy dips below the threshold at r = 2, recovers at 3–5 and falls for good at 6.
        bool[] passes = [true, true, false, true, true, true, false, false, false];
        var naive = SparsityRatioDerivation.NaiveSearch(8, r => passes[r]);
        var binary = SparsityRatioDerivation.BinarySearch(8, r => passes[r]);
        Assert.Equal(2, naive.FirstFailing);
        Assert.Equal(6, binary.FirstFailing);
        Assert.True(passes[binary.FirstFailing!.Value - 1] && !passes[binary.FirstFailing.Value]);
        Assert.Equal(3, binary.Kept); // 8 − 6 + 1: the set with 5 removed, which was measured to pass
    }

    [Theory]
    [InlineData(ImportanceMeasure.Svd, SearchStrategy.Binary)]
    [InlineData(ImportanceMeasure.Svd, SearchStrategy.Naive)]
    [InlineData(ImportanceMeasure.Snip, SearchStrategy.Binary)]
    [InlineData(ImportanceMeasure.Imp, SearchStrategy.Binary)]
    public void Keeps_the_k_signal_features_of_the_constructed_task(ImportanceMeasure measure, SearchStrategy search)
    {
        using var scope = torch.NewDisposeScope();
        var (model, x, y) = SignalTask.Build(n: 12, k: 4, samplesPerClass: 16, seed: 1);
        var data = new FewShotSet(x, y);
        var targets = TargetLayer.Resolve(model, ["layers.0.fc"]);
        var scores = SparsityPlanner.Score(model, data, targets, measure, FlowMode.Isolated);
        var result = SparsityRatioDerivation.Derive(model, data, targets, scores, new DerivationOptions { Search = search });
        Assert.True(result.BaselineAccuracy > 0.95, $"μ = {result.BaselineAccuracy}");
        var layer = result.Layers[0];
        Assert.Equal(4, layer.KeptCols);
        Assert.Equal([0, 1, 2, 3], IndexSelection.TopK(scores[0].Cols, layer.KeptCols));
        output.WriteLine($"{measure} {search}: kept {layer.KeptRows}/16 rows, {layer.KeptCols}/12 cols, " +
                         $"{result.Evaluations} evaluations (naive loop: {result.NaiveEvaluations})");
    }

    // Few-shot accuracy after removing the r least important rows/columns, for every r, by a loop of its own.
    private static long[] Curve(IClassifier model, TargetLayer target, int dim, double[] importance, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var original = target.Weight.detach().clone();
        var order = ImportanceScores.AscendingOrder(importance);
        var keep = Enumerable.Repeat(1f, importance.Length).ToArray();
        var curve = new long[importance.Length + 1];
        for (var r = 0; r <= importance.Length; r++)
        {
            if (r > 0) keep[order[r - 1]] = 0;
            var mask = torch.tensor(keep);
            target.Weight.copy_(original * (dim == 0 ? mask.unsqueeze(1) : mask.unsqueeze(0)));
            curve[r] = model.Logits(x).argmax(1).eq(y).sum().item<long>();
        }
        target.Weight.copy_(original);
        return curve;
    }

    private static bool Monotone(long[] correct, double needed) =>
        Enumerable.Range(1, correct.Length - 1).All(r => correct[r] >= needed || correct.Skip(r).All(c => c < needed));

    [Fact]
    public void Fast_searches_equal_the_naive_loop_on_small_models_with_far_fewer_evaluations()
    {
        SearchStrategy[] fastStrategies = [SearchStrategy.Binary, SearchStrategy.Galloping];
        int monotone = 0, total = 0, naiveEvaluations = 0;
        var fastEvaluations = new int[2];
        for (var seed = 0; seed < 2; seed++)
        {
            using var scope = torch.NewDisposeScope();
            var model = BlockMlp.Graded([16, 64, 48, 6], seed);
            using var gen = new torch.Generator((ulong)(100 + seed));
            var x = torch.randn(64, 16, generator: gen);
            var data = new FewShotSet(x, model.Logits(x).detach().argmax(1)); // teacher labels: masking costs agreement
            var targets = TargetLayer.Resolve(model, ["layers.0.fc", "layers.1.fc", "classifier"]);
            var scores = SparsityPlanner.Score(model, data, targets, ImportanceMeasure.Svd, FlowMode.Isolated);
            var naive = SparsityRatioDerivation.Derive(model, data, targets, scores, new DerivationOptions { Search = SearchStrategy.Naive });
            var fast = fastStrategies.Select(s => SparsityRatioDerivation.Derive(model, data, targets, scores, new DerivationOptions { Search = s })).ToArray();
            Assert.Equal(naive.NaiveEvaluations, naive.Evaluations);
            naiveEvaluations += naive.Evaluations;
            for (var k = 0; k < fast.Length; k++) fastEvaluations[k] += fast[k].Evaluations;
            for (var l = 0; l < targets.Count; l++)
            {
                foreach (var dim in new[] { 0, 1 })
                {
                    SearchOutcome Side(DerivationResult d) => dim == 0 ? d.Layers[l].RowSearch : d.Layers[l].ColSearch;
                    var curve = Curve(model, targets[l], dim, dim == 0 ? scores[l].Rows : scores[l].Cols, x, data.Labels);
                    var needed = 0.9 * curve[0];
                    total++;
                    // The naive loop is the first crossing of the independently computed curve.
                    var first = Enumerable.Range(1, curve.Length - 1).FirstOrDefault(r => curve[r] < needed);
                    Assert.Equal(first == 0 ? null : first, Side(naive).FirstFailing);
                    var isMonotone = Monotone(curve, needed);
                    if (isMonotone) monotone++;
                    foreach (var f in fast.Select(Side))
                    {
                        if (isMonotone) Assert.Equal(Side(naive).Kept, f.Kept);
                        else if (f.FirstFailing is { } r)
                            Assert.True(curve[r - 1] >= needed && curve[r] < needed, "a fast search must stop at a crossing");
                    }
                }
            }
        }
        output.WriteLine($"{monotone}/{total} searches had a monotone curve; evaluations: naive {naiveEvaluations}, " +
                         string.Join(", ", fastStrategies.Select((s, k) => $"{s} {fastEvaluations[k]}")));
        Assert.True(monotone >= total * 3 / 4, $"only {monotone}/{total} monotone curves: the comparison would prove little");
        Assert.All(fastEvaluations, e => Assert.True(e * 2 < naiveEvaluations, $"{e} vs naive {naiveEvaluations}"));
    }

    [Fact]
    public void Cached_blocks_give_the_same_result_as_full_forward_passes()
    {
        using var scope = torch.NewDisposeScope();
        var model = BlockMlp.Random([8, 16, 16, 16, 4], seed: 3);
        using var gen = new torch.Generator(9);
        var x = torch.randn(40, 8, generator: gen);
        var data = new FewShotSet(x, model.Logits(x).detach().argmax(1));
        var paths = new[] { "layers.2.fc", "layers.0.fc", "classifier", "layers.1.fc" }; // out of order on purpose
        var targets = TargetLayer.Resolve(model, paths);
        var scores = SvdImportance.Compute(targets);
        var cached = SparsityRatioDerivation.Derive(model, data, targets, scores, new DerivationOptions { BatchSize = 16 });
        var plain = SparsityRatioDerivation.Derive(new PlainClassifier(model), data, targets, scores);
        Assert.Equal(paths, cached.Layers.Select(l => l.Module));
        Assert.Equal(plain.Layers.Select(l => (l.KeptRows, l.KeptCols)), cached.Layers.Select(l => (l.KeptRows, l.KeptCols)));
        Assert.Equal(plain.Evaluations, cached.Evaluations);
        Assert.Equal([2, 0, null, 1], cached.Layers.Select(l => l.Block));
    }

    [Fact]
    public void Weights_are_restored_exactly_without_leaking_tensors_also_under_no_grad_and_on_error()
    {
        var model = BlockMlp.Random([6, 12, 3], seed: 5);
        using var gen = new torch.Generator(6);
        using var x = torch.randn(30, 6, generator: gen);
        using var y = model.Logits(x).detach().argmax(1);
        var data = new FewShotSet(x, y);
        var targets = TargetLayer.Resolve(model, ["layers.0.fc", "classifier"]);
        var scores = SvdImportance.Compute(targets);
        var before = targets.Select(t => t.Weight.detach().clone().bytes.ToArray()).ToList();
        model.train();

        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (torch.no_grad()) SparsityRatioDerivation.Derive(model, data, targets, scores);
        SparsityRatioDerivation.Derive(model, data, targets, scores);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        for (var i = 0; i < targets.Count; i++) Assert.Equal(before[i], targets[i].Weight.detach().bytes.ToArray());
        Assert.True(model.training);
        Assert.All(targets, t => Assert.True(t.Weight.requires_grad));

        var failing = new FailingClassifier(model, failAtCall: 4);
        Assert.Throws<InvalidOperationException>(() => SparsityRatioDerivation.Derive(failing, data, targets, scores));
        for (var i = 0; i < targets.Count; i++) Assert.Equal(before[i], targets[i].Weight.detach().bytes.ToArray());
    }

    private sealed class FailingClassifier(BlockMlp inner, int failAtCall) : IClassifier
    {
        private int calls;
        public nn.Module Module => inner;
        public int NumClasses => inner.NumClasses;

        public Tensor Logits(Tensor inputs, Tensor? attentionMask = null) =>
            ++calls == failAtCall ? throw new InvalidOperationException("simulated failure mid-search") : inner.Logits(inputs);
    }

    [Fact]
    public void Bad_inputs_give_clear_errors()
    {
        using var scope = torch.NewDisposeScope();
        var model = BlockMlp.Random([4, 6, 3], seed: 1);
        var targets = TargetLayer.Resolve(model, ["layers.0.fc"]);
        var scores = SvdImportance.Compute(targets);

        var empty = Assert.Throws<ArgumentException>(() => new FewShotSet(torch.zeros(0, 4), torch.zeros(0, dtype: ScalarType.Int64)));
        Assert.Contains("few-shot set is empty", empty.Message);

        var x = TestSupport.Randn(2, 12, 4);
        var wrong = (model.Logits(x).detach().argmax(1) + 1) % 3; // every prediction wrong: μ = 0
        var mu0 = Assert.Throws<InvalidOperationException>(() => SparsityRatioDerivation.Derive(model, new FewShotSet(x, wrong), targets, scores));
        Assert.Contains("μ is 0", mu0.Message);

        var right = new FewShotSet(x, model.Logits(x).detach().argmax(1));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SparsityRatioDerivation.Derive(model, right, targets, scores, new DerivationOptions { Threshold = 1.5 }));
        var mismatch = Assert.Throws<ArgumentException>(() =>
            SparsityRatioDerivation.Derive(model, right, targets, [new ImportanceScores("layers.0.fc", [1, 2], [1])]));
        Assert.Contains("2×1 scores", mismatch.Message);

        var source = new PlanSource("tiny", "sha256:0", "test", 4);
        var unknown = Assert.Throws<ArgumentException>(() => SparsityPlanner.Plan(model, right, ["layers.7.fc"], source));
        Assert.Contains("layer 'layers.7.fc' is not in the model", unknown.Message);
        var labels = Assert.Throws<ArgumentException>(() =>
            SparsityRatioDerivation.Derive(model, new FewShotSet(x, torch.full(12, 3L)), targets, scores));
        Assert.Contains("expected classes in [0, 3)", labels.Message);
    }
}
