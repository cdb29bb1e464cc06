using System.Text.Json.Nodes;
using PartialLoRA.Backbones;
using PartialLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Backbones;

[Collection(PartialLoRA.Tests.Training.SerialTorchRng.Name)]
public class PretrainLoopTests
{
    public PretrainLoopTests() => _ = TestSupport.Torch;

    private static readonly PretrainSchedule Schedule = new()
    {
        Epochs = 4, BatchSize = 8, LearningRate = 1e-2, WeightDecay = 0.1, WarmupEpochs = 1, MinLearningRateFactor = 0.1,
        CheckpointEverySteps = 3, Seed = 7,
    };

    private static JsonObject Options(int width = 4) => new() { ["toy"] = new JsonObject { ["width"] = width }, ["schedule"] = Schedule.ToJson() };

    /// <summary>A toy run: random batches keyed by the step, dropout from the global generator (reseeded per step by the loop).</summary>
    private static Func<int, int, int, Tensor> ToyLoss(nn.Module<Tensor, Tensor> model, int? crashAt = null) => (_, _, step) =>
    {
        if (step == crashAt) throw new OperationCanceledException("killed");
        using var g = new Generator((ulong)(1000 + step));
        var x = torch.randn([8, 4], generator: g);
        var y = torch.randint(0, 3, [8], generator: g);
        return nn.functional.cross_entropy(nn.functional.dropout(model.call(x), 0.3, true), y);
    };

    private static JsonObject Record(int epoch) => new() { ["note"] = epoch };

    /// <summary>A linear layer with seeded weights (nn.Linear's own initialisation draws from the global generator).</summary>
    private static TorchSharp.Modules.Linear Toy(ulong seed)
    {
        var m = nn.Linear(4, 3);
        using var noGrad = torch.no_grad();
        using var g = new Generator(seed);
        m.weight!.copy_(torch.randn([3, 4], generator: g));
        m.bias!.copy_(torch.randn([3], generator: g));
        return m;
    }

    [Fact]
    public void A_run_killed_mid_epoch_resumes_at_its_last_state_and_ends_identical()
    {
        var full = TestSupport.TempDir("loop-full");
        var cut = TestSupport.TempDir("loop-cut");
        using var a = Toy(1);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, a, stepsPerEpoch: 5, full, TextWriter.Null, "ex", 8))
            loop.Run(ToyLoss(a), Record);

        using var b = Toy(1);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, b, stepsPerEpoch: 5, cut, TextWriter.Null, "ex", 8))
            Assert.Throws<OperationCanceledException>(() => loop.Run(ToyLoss(b, crashAt: 14), Record));
        Assert.Equal(12, PretrainState.ReadProgress(cut)!["step"]!.GetValue<int>());   // last multiple of 3 before the kill

        using var c = Toy(2);   // a different initialisation: the state must replace it
        using (var loop = new PretrainLoop("toy", Options(), Schedule, c, stepsPerEpoch: 5, cut, TextWriter.Null, "ex", 8))
        {
            Assert.True(loop.Resumed);
            Assert.Equal(12, loop.Step);
            loop.Run(ToyLoss(c), Record);
        }
        AssertSameState(PretrainState.PathIn(full), PretrainState.PathIn(cut));
    }

    [Fact]
    public void A_work_folder_only_resumes_the_run_it_holds()
    {
        var dir = TestSupport.TempDir("loop-mismatch");
        using var a = Toy(1);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, a, stepsPerEpoch: 5, dir, TextWriter.Null, "ex", 8))
            Assert.Throws<OperationCanceledException>(() => loop.Run(ToyLoss(a, crashAt: 4), Record));
        var e = Assert.Throws<InvalidOperationException>(() => new PretrainLoop("toy", Options(width: 5), Schedule, a, 5, dir, TextWriter.Null, "ex", 8));
        Assert.Contains("toy.width: 4 then, 5 now", e.Message);
        var k = Assert.Throws<InvalidOperationException>(() => new PretrainLoop("other", Options(), Schedule, a, 5, dir, TextWriter.Null, "ex", 8));
        Assert.Contains("'toy' run", k.Message);
    }

    [Fact]
    public void Stopping_after_epoch_K_of_the_schedule_gives_the_full_runs_epoch_K_state_and_continuing_gives_its_end()
    {
        var full = TestSupport.TempDir("loop-stop-full");
        var stop = TestSupport.TempDir("loop-stop");
        using var a = Toy(1);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, a, stepsPerEpoch: 5, full, TextWriter.Null, "ex", 8, keepEpochSnapshots: 4))
            loop.Run(ToyLoss(a), Record);
        Assert.Equal([1, 2, 3, 4], PretrainState.EpochSnapshots(full));

        using var b = Toy(1);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, b, stepsPerEpoch: 5, stop, TextWriter.Null, "ex", 8, stopAfterEpoch: 2))
        {
            Assert.Equal(10, loop.StopStep);
            loop.Run(ToyLoss(b), Record);
            Assert.Equal(10, loop.Step);
            Assert.Equal(2, loop.EpochsTrained);
            Assert.False(loop.Finished);
        }
        Assert.Equal([1, 2], PretrainState.EpochSnapshots(stop));
        AssertSameState(PretrainState.EpochSnapshotPath(full, 2), PretrainState.PathIn(stop));

        using var c = Toy(3);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, c, stepsPerEpoch: 5, stop, TextWriter.Null, "ex", 8))
            loop.Run(ToyLoss(c), Record);
        AssertSameState(PretrainState.PathIn(full), PretrainState.PathIn(stop));
        Assert.Equal([2, 3, 4], PretrainState.EpochSnapshots(stop));   // the last 3 by default
    }

    [Fact]
    public void Past_the_stop_epoch_the_model_comes_from_that_epochs_snapshot_and_the_folder_is_not_written()
    {
        var dir = TestSupport.TempDir("loop-snapshot");
        using var a = Toy(1);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, a, stepsPerEpoch: 5, dir, TextWriter.Null, "ex", 8, keepEpochSnapshots: 2))
            loop.Run(ToyLoss(a), Record);
        Assert.Equal([3, 4], PretrainState.EpochSnapshots(dir));
        var before = Directory.EnumerateFiles(dir).Order().Select(f => (f, BackboneManifest.Sha256(f), File.GetLastWriteTimeUtc(f))).ToList();

        using var b = Toy(2);
        using (var loop = new PretrainLoop("toy", Options(), Schedule, b, stepsPerEpoch: 5, dir, TextWriter.Null, "ex", 8, stopAfterEpoch: 3))
        {
            Assert.True(loop.FromSnapshot);
            Assert.Equal(15, loop.Step);
            Assert.Equal(3, loop.History.Count);
            loop.Run((_, _, _) => throw new InvalidOperationException("no step may run"), Record);
        }
        using (var ck = TensorCheckpoint.Open(PretrainState.EpochSnapshotPath(dir, 3)))
        using (var w = ck.Load("model.weight"))
            Assert.True(w.eq(b.weight!).all().item<bool>());
        Assert.Equal(before, Directory.EnumerateFiles(dir).Order().Select(f => (f, BackboneManifest.Sha256(f), File.GetLastWriteTimeUtc(f))).ToList());

        var gone = Assert.Throws<FileNotFoundException>(() => new PretrainLoop("toy", Options(), Schedule, b, 5, dir, TextWriter.Null, "ex", 8, stopAfterEpoch: 1));
        Assert.Contains("epoch-01.safetensors is gone", gone.Message);
        Assert.Contains("snapshots: 3, 4", gone.Message);
        Assert.Throws<ArgumentException>(() => new PretrainLoop("toy", Options(), Schedule, b, 5, dir, TextWriter.Null, "ex", 8, stopAfterEpoch: 5));
    }

    [Fact]
    public void Two_processes_cannot_train_in_one_work_folder()
    {
        var dir = TestSupport.TempDir("loop-lock");
        using var a = Toy(1);
        using var held = new FileStream(Path.Combine(dir, PretrainLoop.LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var loop = new PretrainLoop("toy", Options(), Schedule, a, stepsPerEpoch: 5, dir, TextWriter.Null, "ex", 8);
        var e = Assert.Throws<InvalidOperationException>(() => loop.Run(ToyLoss(a), Record));
        Assert.Contains("another process is training", e.Message);
        Assert.Null(PretrainState.ReadProgress(dir));
    }

    /// <summary>Every tensor (model and AdamW moments) bit-identical, same AdamW step counts, same history apart from wall times.</summary>
    internal static void AssertSameState(string expectedPath, string actualPath)
    {
        using var x = TensorCheckpoint.Open(expectedPath);
        using var y = TensorCheckpoint.Open(actualPath);
        Assert.Equal(x.Names.Order(), y.Names.Order());
        foreach (var name in x.Names)
        {
            using var p = x.Load(name);
            using var q = y.Load(name);
            Assert.True(p.shape.SequenceEqual(q.shape) && p.eq(q).all().item<bool>(), $"{name} differs between the uninterrupted and the resumed run");
        }
        Assert.Equal(x.Metadata["adam_steps"], y.Metadata["adam_steps"]);
        JsonNode Strip(string json)
        {
            var o = JsonNode.Parse(json)!.AsObject();
            o.Remove("elapsed_s");
            foreach (var h in o["history"]!.AsArray()) h!.AsObject().Remove("elapsed_s");
            return o;
        }
        Assert.True(JsonNode.DeepEquals(Strip(x.Metadata["progress"]), Strip(y.Metadata["progress"])), "the progress records differ");
    }
}
