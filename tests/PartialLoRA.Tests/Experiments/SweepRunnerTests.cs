using PartialLoRA.Experiments;
using PartialLoRA.Tests.Training;
using TorchSharp;
using static PartialLoRA.Tests.Experiments.ExperimentSupport;

namespace PartialLoRA.Tests.Experiments;

[Collection(SerialTorchRng.Name)]
public class SweepRunnerTests
{
    public SweepRunnerTests() => _ = TestSupport.Torch;

    [Fact]
    public void A_sweep_records_every_run_once_and_a_rerun_skips_them()
    {
        var catalog = BuiltInCatalog.Create();
        var spec = SweepSpec.Parse(BlobsSpec, "blobs.json", catalog);
        var store = TestSupport.TempDir("sweep");
        using var executor = new RunExecutor(catalog, torch.CPU, TestSupport.TempDir("cache"));
        var first = SweepRunner.Run(spec, store, null, executor);
        Assert.Equal((8, 8, 0, 8), (first.Planned, first.InShard, first.AlreadyFinished, first.Ran));
        var runs = ResultsStore.Load(store).Runs;
        Assert.Equal(spec.Expand(CodeVersion.Current).Select(r => r.Key), runs.Select(r => r.Key));
        Assert.All(runs, r => Assert.Equal(RunRecord.Ok, r.Status));
        // linear-probe trains only the head: 8 hidden × 2 classes + 2.
        Assert.All(runs.Where(r => r.MethodName == "linear-probe"), r => Assert.Equal(18, r.TrainableParameters));
        Assert.True(runs.Where(r => r.MethodName == "full").All(r => r.TrainableParameters > 18));

        var again = SweepRunner.Run(spec, store, null, executor);
        Assert.Equal((8, 0), (again.AlreadyFinished, again.Ran));
        Assert.Equal(8, File.ReadAllLines(Path.Combine(store, "results.jsonl")).Length);
    }

    [Fact]
    public void Shards_split_the_work_and_an_unsharded_rerun_finds_it_all_done()
    {
        var catalog = BuiltInCatalog.Create();
        var spec = SweepSpec.Parse(BlobsSpec, "blobs.json", catalog);
        var store = TestSupport.TempDir("sweep");
        using var executor = new RunExecutor(catalog, torch.CPU, TestSupport.TempDir("cache"));
        var s0 = SweepRunner.Run(spec, store, new Shard(0, 3), executor);
        var s1 = SweepRunner.Run(spec, store, new Shard(1, 3), executor);
        var s2 = SweepRunner.Run(spec, store, new Shard(2, 3), executor);
        Assert.Equal([3, 3, 2], new[] { s0.Ran, s1.Ran, s2.Ran });
        Assert.Equal(3, ResultsStore.Files(store).Count);
        Assert.Equal(8, ResultsStore.Load(store).Runs.Count);
        var all = SweepRunner.Run(spec, store, null, executor);
        Assert.Equal((8, 0), (all.AlreadyFinished, all.Ran));
        var rows = ProtocolSummary.Summarize(ResultsStore.Load(store).Runs, spec.TopK);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(4, r.Selected.Count));
    }
}
