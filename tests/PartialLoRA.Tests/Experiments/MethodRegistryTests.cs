using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Tests.Training;
using TorchSharp;

namespace PartialLoRA.Tests.Experiments;

/// <summary>Every registered method applied to a tiny MLP (hidden 16, two blocks of fc1 16→32 and fc2 32→16, head 16→3).</summary>
[Collection(SerialTorchRng.Name)]
public class MethodRegistryTests
{
    private static readonly ExperimentCatalog Catalog = BuiltInCatalog.Create();

    public MethodRegistryTests() => _ = TestSupport.Torch;

    private static RunRecord Run(string methodJson, int epochs = 3, double lr = 5e-3)
    {
        var spec = SweepSpec.Parse($$$"""
            {"model": {"name": "tiny-mlp", "hidden": 16}, "datasets": [{"name": "synthetic-blobs", "classes": 3, "features": 8}],
             "methods": [{{{methodJson}}}], "seeds": [0], "learning_rates": [{{{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}], "training": {"epochs": {{{epochs}}}, "batch_size": 16}}
            """, "spec.json", Catalog);
        using var executor = new RunExecutor(Catalog, torch.CPU, TestSupport.TempDir("cache"));
        return executor.Execute(spec.Expand("test")[0]);
    }

    // LoRA on fc1 (A r×16, B 32×r) and fc2 (A r×32, B 16×r) in 2 blocks, plus the head (16·3 + 3).
    private static long LoraCount(int r) => 2 * (r * 16 + 32 * r + r * 32 + 16 * r) + 51;

    [Theory]
    [InlineData("\"full\"", 8 * 16 + 16 + 2 * (16 * 32 + 32 + 32 * 16 + 16) + 51)]
    [InlineData("\"linear-probe\"", 51)]
    [InlineData("\"lora\"", 2 * (8 * 16 + 32 * 8 + 8 * 32 + 16 * 8) + 51)]
    [InlineData("{\"name\": \"lora\", \"rank\": 2, \"train_head\": false}", 2 * (2 * 16 + 32 * 2 + 2 * 32 + 16 * 2))]
    [InlineData("{\"name\": \"lora\", \"rank\": 4, \"target_modules\": [\"fc2\"]}", 2 * (4 * 32 + 16 * 4) + 51)]
    [InlineData("\"dora\"", 2 * (8 * 16 + 32 * 8 + 8 * 32 + 16 * 8) + 2 * (32 + 16) + 51)]
    [InlineData("{\"name\": \"vera\", \"rank\": 16}", 2 * (16 + 32 + 16 + 16) + 51)]
    public void Trainable_counts_match_the_closed_form(string method, long expected)
    {
        var r = Run(method, epochs: 1);
        Assert.Equal(RunRecord.Ok, r.Status);
        Assert.Equal(expected, r.TrainableParameters);
    }

    [Fact]
    public void Loraplus_trains_the_same_parameters_as_lora()
    {
        Assert.Equal(LoraCount(8), Run("\"loraplus\"", epochs: 1).TrainableParameters);
    }

    [Fact]
    public void Element_masks_and_masking_keep_fewer_entries()
    {
        var lora = LoraCount(8) - 51;
        var balanced = Run("{\"name\": \"balanced\", \"density\": 0.5}", epochs: 1).TrainableParameters - 51;
        Assert.InRange(balanced, (long)(0.4 * lora), (long)(0.6 * lora));
        // Pyramidal: block 1 keeps p, block 2 keeps p² — fewer than balanced at the same p.
        var pyramidal = Run("{\"name\": \"pyramidal\", \"p\": 0.5}", epochs: 1).TrainableParameters - 51;
        Assert.InRange(pyramidal, (long)(0.25 * lora), (long)(0.5 * lora));
        // masking: ⌈density·m·n⌉ entries of each weight: ⌈0.1·512⌉ per fc1/fc2, 4 weights.
        Assert.Equal(4 * 52 + 51, Run("{\"name\": \"masking\", \"density\": 0.1}", epochs: 1).TrainableParameters);
    }

    [Fact]
    public void Adalora_runs_its_rank_allocator_down_to_the_target_budget()
    {
        var spec = SweepSpec.Parse("""
            {"model": {"name": "tiny-mlp", "hidden": 16}, "datasets": [{"name": "synthetic-blobs", "classes": 3, "features": 8}],
             "methods": [{"name": "adalora", "init_r": 6, "target_r": 2, "delta_t": 1, "t_init_ratio": 0, "t_final_ratio": 0.8}], "seeds": [0], "learning_rates": [0.005],
             "training": {"epochs": 4, "batch_size": 16, "patience": 100}}
            """, "spec.json", Catalog);
        var run = spec.Expand("test")[0].Config;
        using var executor = new RunExecutor(Catalog, torch.CPU, TestSupport.TempDir("cache"));
        var task = executor.Task(run.Dataset, run.Model);
        using var model = Catalog.Models[run.Model.Name].Build(run.Model, task, torch.CPU);
        var options = run.Training.ToTrainerOptions(run.LearningRate, run.Seed, task.Metrics, task.SelectionMetric);
        var setup = Catalog.Methods["adalora"].Apply(new MethodContext(model, task, run.Model, run.Dataset, run.Seed, options, 4 * 6, torch.CPU, "."), run.Method.Options);
        // P, Λ, Q of init_r = 6 triplets in 4 modules (fc1 16→32, fc2 32→16) plus the head.
        Assert.Equal(4 * 6 * (16 + 1 + 32) + 51, setup.TrainableParameters);
        Assert.NotNull(setup.RegularizationLoss);
        Assert.NotNull(setup.AfterOptimizerStep);
        PartialLoRA.Training.Trainer.Train(model.Classifier, setup, task.Train, task.Validation, null, options, torch.CPU);
        // The allocator zeroed Λ entries until 4 modules × target_r 2 triplets remain. (The final allocation falls in
        // epoch 1, at step 24 − ⌊0.8·24⌋ = 5, so every state early stopping could keep is past it.)
        var kept = model.Classifier.Module.named_parameters().Where(p => p.name.Contains("lora_E"))
            .Sum(p => p.parameter.ne(0).sum().item<long>());
        Assert.Equal(4 * 2, kept);
    }

    [Fact]
    public void Lorpa_prunes_between_its_two_phases()
    {
        var r = Run("{\"name\": \"lorpa\", \"rank\": 8, \"keep_fraction\": 0.25}", epochs: 2);
        Assert.Equal(RunRecord.Ok, r.Status);
        // ⌈0.25·n⌉ of each A and B survive (per matrix); the head stays whole.
        Assert.Equal(2 * (32 + 64 + 64 + 32) + 51, r.TrainableParameters);
        Assert.True(JsonFields.GetDouble(r.Details, "setup_seconds") > 0);
    }

    [Theory]
    [InlineData("{\"name\": \"lora\", \"rank\": 0}", "methods[0].rank: 0: the rank must be ≥ 1")]
    [InlineData("{\"name\": \"lora\", \"dropout\": 1.5}", "methods[0].dropout: 1.5: must lie in [0, 1)")]
    [InlineData("{\"name\": \"lora\", \"ranks\": 4}", "methods[0].ranks: unknown field")]
    [InlineData("{\"name\": \"lora\", \"target_modules\": []}", "methods[0].target_modules: expected a non-empty list")]
    [InlineData("{\"name\": \"lora\", \"target_modules\": \"fc(\"}", "methods[0].target_modules: target modules: 'fc(' is not a valid regular expression")]
    [InlineData("\"masking\"", "methods[0].density: required")]
    [InlineData("{\"name\": \"balanced\", \"density\": 0}", "methods[0].density: 0: must lie in (0, 1]")]
    [InlineData("{\"name\": \"adalora\", \"init_r\": 4, \"target_r\": 8}", "methods[0].target_r: 8 exceeds init_r 4")]
    [InlineData("{\"name\": \"loraplus\", \"ratio\": -2}", "methods[0].ratio: -2: must be > 0")]
    [InlineData("{\"name\": \"lorpa\", \"scope\": \"layer\"}", "methods[0].scope: 'layer': expected per_matrix or global")]
    public void Bad_method_options_name_the_field(string method, string expected)
    {
        var e = Assert.Throws<SpecException>(() => SweepSpec.Parse(
            $$"""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": [{{method}}]}""", "spec.json", Catalog));
        Assert.StartsWith("spec.json: " + expected, e.Message);
    }

    [Fact]
    public void Defaults_are_filled_in_so_equal_methods_are_equal_runs()
    {
        var (a, _) = Catalog.NormalizeMethod(JsonValue.Create("lora"), "m", "t");
        var (b, _) = Catalog.NormalizeMethod(JsonNode.Parse("""{"name":"lora","rank":8,"alpha":8,"dropout":0,"init":"default","rslora":false,"target_modules":"default","train_head":true}"""), "m", "t");
        Assert.Equal(CanonicalJson.Serialize(a.ToJson()), CanonicalJson.Serialize(b.ToJson()));
        Assert.Equal(["alpha", "dropout", "init", "rank", "rslora", "target_modules", "train_head"], a.Options.Select(p => p.Key).Order());
    }
}
