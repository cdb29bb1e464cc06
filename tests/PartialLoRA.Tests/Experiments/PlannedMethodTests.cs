using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.Synthetic;
using PartialLoRA.Sparsity;
using PartialLoRA.Tests.Training;
using PartialLoRA.Training;
using TorchSharp;

namespace PartialLoRA.Tests.Experiments;

/// <summary>
/// The methods whose masks come from Algorithm 1, on a tiny MLP that was first trained on the task (so the
/// "pretrained" model knows something and Algorithm 1 has rows and columns to keep).
/// </summary>
[Collection(SerialTorchRng.Name)]
public class PlannedMethodTests
{
    private static readonly ExperimentCatalog Catalog = BuiltInCatalog.Create();
    private const int Rank = 4;

    public PlannedMethodTests() => _ = TestSupport.Torch;

    private sealed class Setup : IDisposable
    {
        public required ModelSpec Model { get; init; }
        public required DatasetSpec Dataset { get; init; }
        public required TrainingTask Task { get; init; }
        public required string Cache { get; init; }
        public void Dispose() => Task.Dispose();
    }

    private static Setup Prepare()
    {
        var model = Catalog.NormalizeModel(JsonNode.Parse("""{"name": "tiny-mlp", "hidden": 16, "dropout": 0}"""), "model", "t");
        var dataset = Catalog.NormalizeDataset(JsonNode.Parse("""{"name": "synthetic-blobs", "classes": 3, "features": 8, "spread": 0.6}"""), "dataset", "t");
        return new Setup { Model = model, Dataset = dataset, Task = Catalog.Datasets[dataset.Name].Load(dataset.Options, ModelInputs.Features), Cache = TestSupport.TempDir("plans") };
    }

    // The "pretrained" model: the tiny MLP after full fine-tuning on the task (same init seed, same result every time).
    private static ModelHandle Pretrained(Setup s)
    {
        var handle = Catalog.Models[s.Model.Name].Build(s.Model, s.Task, torch.CPU);
        var options = new TrainerOptions { Epochs = 5, BatchSize = 16, LearningRate = 1e-2, Patience = 100, Seed = 0 };
        Trainer.Train(handle.Classifier, TrainableSetup.ForParameters(handle.Classifier.Module.named_parameters()), s.Task.Train, s.Task.Validation, null, options, torch.CPU);
        return handle;
    }

    private static (TrainableSetup Setup, SparsityPlan Plan) Apply(Setup s, string methodJson, long seed = 0)
    {
        var (method, _) = Catalog.NormalizeMethod(JsonNode.Parse(methodJson), "method", "t");
        using var handle = Pretrained(s);
        var ctx = new MethodContext(handle, s.Task, s.Model, s.Dataset, seed, new TrainerOptions(), 10, torch.CPU, s.Cache);
        var setup = Catalog.Methods[method.Name].Apply(ctx, method.Options);
        var plan = Directory.GetFiles(Path.Combine(s.Cache, "plans"), "*.json").Where(f => !f.EndsWith(".scores.json")).Select(SparsityPlanJson.Load).Single();
        return (setup, plan);
    }

    private const long Head = 16 * 3 + 3;

    [Fact]
    public void Targeted_and_inverted_train_exactly_the_plan_and_its_complement()
    {
        using var s = Prepare();
        var (targeted, plan) = Apply(s, $$"""{"name": "targeted-lora", "rank": {{Rank}}}""");
        Assert.Equal(4, plan.Layers.Count);
        Assert.Equal(["layers.0.fc1", "layers.0.fc2", "layers.1.fc1", "layers.1.fc2"], plan.Layers.Select(l => l.Module));
        Assert.True(plan.Provenance.BaselineAccuracy > 0.8, $"μ = {plan.Provenance.BaselineAccuracy}");
        Assert.Equal(Head + plan.Layers.Sum(l => (long)Rank * (l.KeptRows + l.KeptCols)), targeted.TrainableParameters);
        var (inverted, _) = Apply(s, $$"""{"name": "inverted", "rank": {{Rank}}}""");
        Assert.Equal(Head + plan.Layers.Sum(l => (long)Rank * (l.Rows - l.KeptRows + l.Cols - l.KeptCols)), inverted.TrainableParameters);
        var lora = Head + plan.Layers.Sum(l => (long)Rank * (l.Rows + l.Cols));
        Assert.Equal(lora, targeted.TrainableParameters + inverted.TrainableParameters - Head);
    }

    [Fact]
    public void Partial_lora_samples_masks_from_the_ratios_with_the_run_seed()
    {
        using var s = Prepare();
        var (a, plan) = Apply(s, $$"""{"name": "partial-lora", "rank": {{Rank}}}""", seed: 1);
        var (dense, _) = Apply(s, $$"""{"name": "partial-lora", "rank": {{Rank}}, "storage": "dense"}""", seed: 1);
        var (again, _) = Apply(s, $$"""{"name": "partial-lora", "rank": {{Rank}}}""", seed: 1);
        // Compact and dense storage train the same entries; the same seed draws the same masks.
        Assert.Equal(a.TrainableParameters, dense.TrainableParameters);
        Assert.Equal(a.TrainableParameters, again.TrainableParameters);
        var lora = Head + plan.Layers.Sum(l => (long)Rank * (l.Rows + l.Cols));
        Assert.InRange(a.TrainableParameters, Head, lora);
    }

    [Fact]
    public void Plans_are_derived_once_and_read_from_the_cache()
    {
        using var s = Prepare();
        using var handle = Pretrained(s);
        var request = new PlanCache.Request(s.Model, s.Dataset, ["layers.0.fc1", "layers.1.fc2"], PartialLoRA.Importance.ImportanceMeasure.Svd,
            PartialLoRA.Importance.FlowMode.Isolated, 0.9, SearchStrategy.Binary, 0);
        var first = PlanCache.GetOrDerive(request, handle, s.Task, torch.CPU, s.Cache);
        Assert.False(first.FromCache);
        var second = PlanCache.GetOrDerive(request, handle, s.Task, torch.CPU, s.Cache);
        Assert.True(second.FromCache);
        Assert.Equal(first.File, second.File);
        Assert.Equal(SparsityPlanJson.ToJson(first.Plan), SparsityPlanJson.ToJson(second.Plan));
        Assert.Equal(first.Scores["layers.0.fc1"].Rows, second.Scores["layers.0.fc1"].Rows);
        // The search strategy changes the cost, not the plan: same cache entry. A different τ is another plan.
        Assert.True(PlanCache.GetOrDerive(request with { Search = SearchStrategy.Galloping }, handle, s.Task, torch.CPU, s.Cache).FromCache);
        var other = PlanCache.GetOrDerive(request with { Threshold = 0.5 }, handle, s.Task, torch.CPU, s.Cache);
        Assert.False(other.FromCache);
        Assert.NotEqual(first.File, other.File);
        Assert.Equal(0.5, other.Plan.Provenance.Threshold);
    }

    [Fact]
    public void Stochastic_and_partial_adalora_build_on_the_same_plan()
    {
        using var s = Prepare();
        var (stochastic, plan) = Apply(s, $$"""{"name": "stochastic", "rank": {{Rank}}, "temperature": 0.5}""", seed: 3);
        // App. D keeps Algorithm 1's counts; only which rows and columns is sampled.
        Assert.Equal(Head + plan.Layers.Sum(l => (long)Rank * (l.KeptRows + l.KeptCols)), stochastic.TrainableParameters);
        var (adalora, _) = Apply(s, """{"name": "partial-adalora", "init_r": 4, "target_r": 2}""");
        Assert.NotNull(adalora.AfterOptimizerStep);
        Assert.InRange(adalora.TrainableParameters, Head, Head + plan.Layers.Sum(l => 4L * (l.Rows + l.Cols + 1)));
    }

    [Fact]
    public void Derive_writes_the_plan_and_refuses_methods_without_one()
    {
        var dir = TestSupport.TempDir("derive");
        var env = new Dictionary<string, string?> { ["PARTIALLORA_THREADS"] = "1", ["PARTIALLORA_DEVICE"] = "cpu" };
        var outFile = Path.Combine(dir, "plan.json");
        string[] args = ["derive", "--model", "tiny-mlp", "--dataset", "synthetic-blobs", "--method", """{"name": "partial-lora", "importance": "snip", "threshold": 0.8}""",
            "--cache", Path.Combine(dir, "cache"), "--out", outFile];
        var r = TestSupport.RunCli(TestSupport.CliDll, args, env);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("importance Snip", r.Stdout);
        Assert.Contains("layers.1.fc2", r.Stdout);
        var plan = SparsityPlanJson.Load(outFile);
        Assert.Equal(0.8, plan.Provenance.Threshold);
        Assert.Equal("synthetic-blobs", plan.Provenance.Task);
        var again = TestSupport.RunCli(TestSupport.CliDll, args, env);
        Assert.Contains("read from the cache", again.Stdout);

        var bad = TestSupport.RunCli(TestSupport.CliDll, ["derive", "--model", "tiny-mlp", "--dataset", "synthetic-blobs", "--method", "lora"], env);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--method lora takes no sparsity plan", bad.Stderr);
    }
}
