using Microsoft.Data.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;
using PartialLoRA.Tests.Experiments;

namespace PartialLoRA.Tests.Reproduction;

/// <summary>Ours-vs-paper assembly from a results store holding records made up for the test (inputs, not measurements).</summary>
public class MethodComparisonTests
{
    private static SweepSpec Smoke() =>
        SweepSpec.Parse(Table5.Spec(ReproductionProfile.Smoke, 0, ReproductionFixtures.Backbones).ToJsonString(), "t5", ReproductionFixtures.Catalog);

    private static (SweepSpec Spec, string Store) StoreWithRuns()
    {
        var spec = Smoke();
        var store = TestSupport.TempDir("repro-store");
        using var writer = ResultsWriter.Open(store, null);
        var i = 0;
        foreach (var run in spec.Expand(CodeVersion.Current))
        {
            var trainable = run.Label.StartsWith("Partial", StringComparison.Ordinal) ? 25_000 : 100_000;
            writer.Append(ExperimentSupport.Record(run.Config, val: 0.5 + 0.01 * i, test: 0.4 + 0.01 * i, run.Label, trainable));
            i++;
        }
        // A run of another spec (other seed) in the same store must not count.
        var other = spec.Expand(CodeVersion.Current)[0].Config with { Seed = 99 };
        writer.Append(ExperimentSupport.Record(other, val: 1, test: 1, "LoRA", 1));
        return (spec, store);
    }

    [Fact]
    public void Points_and_frames_put_ours_beside_the_paper()
    {
        var (spec, store) = StoreWithRuns();
        var points = MethodComparison.Points(SweepResult.Collect(spec, store), Table5.Paper);
        Assert.Equal(Table5.Methods.Select(m => m.Label), points.Select(p => p.Method));
        var lora = points[0];
        Assert.Equal(("cifar10", "accuracy", 1, 1), (lora.Dataset, lora.Metric, lora.Selected, lora.Runs));
        Assert.Equal(40.0, lora.Score, 9);
        Assert.Equal(0.1, lora.ParametersM, 9);
        Assert.Equal(94.50, lora.Paper!.Score);
        var partial = points.Single(p => p.Method == "Partial-LoRA");
        Assert.Equal(41.0, partial.Score, 9);

        var frame = MethodComparison.Frame(points);
        Assert.Equal(["dataset", "method", "metric", "ours (%)", "± std", "top-k/runs", "params (M)", "train loss, epoch 1", "train loss, last", "paper (%)", "paper params (M)"],
            frame.Columns.Select(c => c.Name));
        Assert.Equal(94.35, (double)frame.Columns["paper (%)"][1]!);
        Assert.Equal(0.17, (double)frame.Columns["paper params (M)"][1]!);

        var wide = MethodComparison.Wide(points, Table5.Methods.Select(m => m.Label).ToList());
        Assert.Equal(["method", "cifar10 (ours)", "paper cifar10"], wide.Columns.Select(c => c.Name));
        Assert.Equal("40.00 (0.1M)", wide.Columns["cifar10 (ours)"][0]);
        Assert.Equal("94.50 (0.67M)", wide.Columns["paper cifar10"][0]);
    }

    [Fact]
    public void Reductions_compare_each_masked_method_with_its_dense_one()
    {
        var (spec, store) = StoreWithRuns();
        var points = MethodComparison.Points(SweepResult.Collect(spec, store), Table5.Paper);
        var r = MethodComparison.Reductions(points, Figure2.MaskedToDense);
        Assert.Equal(["Partial-LoRA", "Partial-AdaLoRA"], r.Select(x => x.Method));
        Assert.All(r, x => Assert.Equal(75.0, x.ReductionPercent, 9));
        Assert.Equal(100 * (1 - 0.17 / 0.67), r[0].PaperReductionPercent!.Value, 9);
        Assert.Equal(100 * (1 - 0.15 / 0.67), r[1].PaperReductionPercent!.Value, 9);
    }

    [Fact]
    public void A_spec_without_runs_in_the_store_has_no_points()
    {
        var spec = Smoke();
        var empty = TestSupport.TempDir("repro-empty");
        var result = SweepResult.Collect(spec, empty);
        Assert.Equal(7, result.Missing);
        Assert.Empty(MethodComparison.Points(result, Table5.Paper));
    }

    [Fact]
    public void A_run_made_under_another_label_is_read_under_this_specs_label()
    {
        var table5 = Smoke();
        var store = TestSupport.TempDir("repro-relabel");
        using (var writer = ResultsWriter.Open(store, null))
            foreach (var run in table5.Expand(CodeVersion.Current))
                writer.Append(ExperimentSupport.Record(run.Config, val: 0.5, test: 0.5, run.Label, 100));
        // Table 2's "Partial-LoRA (SVD)" is Table 5's "Partial-LoRA": same configuration, same key.
        var table2 = SweepSpec.Parse(Table2.Spec(ReproductionProfile.Smoke, 0, ["cifar10"], ReproductionSweep.Model(ReproductionProfile.Smoke, Modality.Vision,
            ReproductionFixtures.Backbones)).ToJsonString(), "t2", ReproductionFixtures.Catalog);
        var result = SweepResult.Collect(table2, store);
        Assert.Equal(["LoRA", "Partial-LoRA (SVD)"], result.Runs.Select(r => r.Label).Order(StringComparer.Ordinal));
        Assert.NotNull(result.Cell("cifar10", "Partial-LoRA (SVD)"));
        Assert.Equal(4, result.Missing);
    }
}
