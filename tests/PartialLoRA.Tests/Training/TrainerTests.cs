using PartialLoRA.Models;
using PartialLoRA.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Training.TrainingSupport;

namespace PartialLoRA.Tests.Training;

[Collection(SerialTorchRng.Name)]
public class TrainerTests
{
    public TrainerTests() => _ = TestSupport.Torch;

    private static float[] Flat(nn.Module m) =>
        m.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    [Fact]
    public void Same_seed_gives_identical_metrics_and_weights_on_cpu()
    {
        var task = Blobs();
        using var a = Mlp(task);
        using var b = Mlp(task);
        using var c = Mlp(task);
        var ra = Train(task, a, Options(seed: 7, epochs: 4));
        var rb = Train(task, b, Options(seed: 7, epochs: 4));
        var rc = Train(task, c, Options(seed: 8, epochs: 4));
        Assert.Equal(ra.Validation, rb.Validation);
        Assert.Equal(ra.Test, rb.Test);
        Assert.Equal(ra.History.Select(h => h.TrainLoss), rb.History.Select(h => h.TrainLoss));
        Assert.Equal(Flat(a), Flat(b));
        // Another seed shuffles and drops out differently: the weights differ.
        Assert.NotEqual(Flat(a), Flat(c));
    }

    [Fact]
    public void Model_initialisation_is_seeded_by_its_own_generator()
    {
        var task = Blobs();
        torch.manual_seed(1);
        using var a = Mlp(task, initSeed: 3);
        torch.manual_seed(2);
        using var b = Mlp(task, initSeed: 3);
        using var c = Mlp(task, initSeed: 4);
        Assert.Equal(Flat(a), Flat(b));
        Assert.NotEqual(Flat(a), Flat(c));
    }

    [Fact]
    public void Training_learns_the_task_and_reports_costs()
    {
        var task = Blobs(spread: 0.5);
        using var model = Mlp(task);
        var before = Trainer.Evaluate(model, task.Test!, Options(), Precision.F32, torch.CPU)["accuracy"];
        var r = Train(task, model, Options(epochs: 10));
        Assert.True(r.Test!["accuracy"] > 0.9, $"test accuracy {r.Test["accuracy"]} (before training {before})");
        Assert.True(r.History[^1].TrainLoss < r.History[0].TrainLoss);
        Assert.Equal(model.parameters().Sum(p => p.numel()), r.TrainableParameters);
        Assert.Equal(r.TrainableParameters, r.TotalParameters);
        Assert.Equal(10 * 6, r.Steps); // 96 examples in batches of 16, 10 epochs
        Assert.True(r.WallSeconds > 0);
        Assert.True(r.Memory.CpuPeakRssBytes > 10 << 20);
        Assert.Null(r.Memory.CudaPeakUsedBytes);
        Assert.Equal(Precision.F32, r.Precision);
    }

    [Fact]
    public void Early_stopping_restores_the_best_state_before_testing()
    {
        var task = Blobs(spread: 1.5);
        using var model = Mlp(task);
        var r = Train(task, model, Options(epochs: 40) with { Patience = 2, LearningRate = 2e-2 });
        var best = r.History.Max(h => h.Validation["accuracy"]);
        Assert.Equal(best, r.Validation["accuracy"]);
        Assert.Equal(r.History.First(h => h.Validation["accuracy"] == best).Epoch, r.BestEpoch);
        // The model left behind is the best one: evaluating it again gives the kept validation score.
        Assert.Equal(r.Validation["accuracy"], Trainer.Evaluate(model, task.Validation, Options(), Precision.F32, torch.CPU)["accuracy"]);
        if (r.StoppedEarly)
        {
            Assert.True(r.EpochsRun < 40);
            Assert.Equal(r.BestEpoch + 2, r.EpochsRun);
        }
        else Assert.Equal(40, r.EpochsRun);
    }

    [Fact]
    public void Learning_rate_follows_the_cosine_schedule_per_step()
    {
        var task = Blobs();
        using var model = Mlp(task);
        var o = Options(epochs: 4) with { WarmupRatio = 0.25 };
        var r = Train(task, model, o);
        var schedule = CosineAnnealingSchedule.WithWarmupRatio(24, 0.25);
        Assert.Equal(4, r.History.Count);
        for (int e = 0; e < 4; e++)
            Assert.Equal(o.LearningRate * schedule.Factor(6 * (e + 1) - 1), r.History[e].LearningRate, 12);
    }

    [Fact]
    public void Parameter_groups_get_their_own_learning_rate()
    {
        // Adam's first step moves every parameter with a non-zero gradient by lr (|m̂ / √v̂| = 1).
        var task = Blobs();
        using var model = Mlp(task, dropout: 0);
        var named = model.named_parameters().ToList();
        var fc1 = named.Where(p => p.name.EndsWith("fc1.weight")).Select(p => p.parameter).ToList();
        var head = named.Where(p => p.name == "classifier.weight").Select(p => p.parameter).ToList();
        foreach (var (_, p) in named) p.requires_grad = fc1.Contains(p) || head.Contains(p);
        var setup = new TrainableSetup([new ParameterGroup("fc1", fc1, 1, 0), new ParameterGroup("head", head, 10, 0)], 0);
        var before = fc1.Concat(head).Select(p => p.detach().clone()).ToList();
        var o = Options(epochs: 1) with { BatchSize = 1000, LearningRate = 1e-3, MaxGradNorm = null, Patience = 1 };
        Trainer.Train(model, setup, task.Train, task.Validation, null, o, torch.CPU);
        var after = fc1.Concat(head).ToList();
        for (int i = 0; i < after.Count; i++)
        {
            var delta = (after[i] - before[i]).abs();
            var expected = i < fc1.Count ? 1e-3 : 1e-2;
            // Entries whose gradient is near ε move less; nearly all move by exactly the group's rate.
            var atRate = (delta - expected).abs().lt(1e-3 * expected).to(ScalarType.Float32).mean().item<float>();
            Assert.True(atRate > 0.9, $"group {i}: only {atRate:P0} of entries moved by {expected}");
            Assert.True(delta.max().item<float>() < expected * 1.001);
        }
    }

    [Fact]
    public void Non_finite_loss_raises_diverged()
    {
        var task = Blobs();
        var model = new NaNLogits(task.InputDescription["features"]!.GetValue<int>(), task.NumClasses);
        var setup = TrainableSetup.ForParameters(model.named_parameters());
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Train(model, setup, task.Train, task.Validation, null, Options(), torch.CPU));
        Assert.Contains("gradient norm", e.Message);
    }

    [Fact]
    public void Bad_setups_are_rejected()
    {
        var task = Blobs();
        using var model = Mlp(task);
        var frozen = model.parameters().First();
        frozen.requires_grad = false;
        var setup = new TrainableSetup([new ParameterGroup("x", [frozen])], 1);
        Assert.Contains("does not require grad", Assert.Throws<ArgumentException>(() =>
            Trainer.Train(model, setup, task.Train, task.Validation, null, Options(), torch.CPU)).Message);
        Assert.Contains("learning_rate", Assert.Throws<ArgumentException>(() =>
            Trainer.Train(model, All(model), task.Train, task.Validation, null, Options() with { LearningRate = 0 }, torch.CPU)).Message);
        Assert.Contains("selection_metric", Assert.Throws<ArgumentException>(() =>
            Trainer.Train(model, All(model), task.Train, task.Validation, null, Options() with { SelectionMetric = "f1" }, torch.CPU)).Message);
    }

    /// <summary>A linear classifier whose logits are NaN (log of −1).</summary>
    private sealed class NaNLogits : nn.Module<Tensor, Tensor>, IClassifier
    {
        private readonly Linear linear;
        public NaNLogits(int features, int classes) : base("nan")
        {
            linear = nn.Linear(features, classes);
            RegisterComponents();
            NumClasses = classes;
        }
        public nn.Module Module => this;
        public int NumClasses { get; }
        public override Tensor forward(Tensor x) => Logits(x);
        public Tensor Logits(Tensor inputs, Tensor? attentionMask = null) => linear.forward(inputs) * torch.log(-torch.ones(1));
    }
}
