using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.ModelProviders;
using PartialLoRA.Models;
using PartialLoRA.Tests.Data;
using PartialLoRA.Tests.Training;
using TorchSharp;

namespace PartialLoRA.Tests.Experiments;

/// <summary>The registry datasets and preset models through the experiment catalog, on the real offline data.</summary>
[Collection(SerialTorchRng.Name)]
public class RealTaskTests
{
    private static readonly ExperimentCatalog Catalog = BuiltInCatalog.Create(RealData.Root);

    public RealTaskTests() => _ = TestSupport.Torch;

    private static (ModelSpec, DatasetSpec) Specs(string model, string dataset) =>
        (Catalog.NormalizeModel(JsonNode.Parse(model), "model", "t"), Catalog.NormalizeDataset(JsonNode.Parse(dataset), "dataset", "t"));

    [RequiresFact(typeof(RealData), nameof(RealData.Cifar10))]
    public void Cifar10_few_shot_task_for_the_lab_clip()
    {
        var (m, d) = Specs("\"clip-vit-lab-tiny\"", """{"name": "cifar10", "test_limit": 50}""");
        using var executor = new RunExecutor(Catalog, torch.CPU, TestSupport.TempDir("cache"));
        var task = executor.Task(d, m);
        Assert.Equal((160, 160, 50, 160), (task.Train.Count, task.Validation.Count, task.Test!.Count, task.FewShot!.Count));
        Assert.Equal(["accuracy"], task.Metrics);
        Assert.Equal(10, task.NumClasses);
        Assert.Contains("16 shots per class", task.Protocol);
        Assert.Contains("test limited to 50 rows", task.Protocol);
        var batch = task.Train.Batches(8, 1, torch.CPU).First();
        Assert.Equal([8L, 3, 32, 32], batch.Inputs.shape);
        using var model = Catalog.Models[m.Name].Build(m, task, torch.CPU);
        Assert.Equal(["classifier"], model.HeadModules);
        Assert.Equal(["q_proj", "v_proj"], model.DefaultTargetModules("lora"));
        Assert.Equal(["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"], model.DefaultTargetModules("partial-adalora"));
        Assert.Equal([8L, 10], model.Classifier.Logits(batch.Inputs).shape);
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Glue))]
    public void Mrpc_for_the_lab_deberta_reports_accuracy_and_f1()
    {
        var (m, d) = Specs("\"deberta-v3-lab-tiny\"", """{"name": "mrpc", "train_limit": 64, "max_length": 48}""");
        using var executor = new RunExecutor(Catalog, torch.CPU, TestSupport.TempDir("cache"));
        var task = executor.Task(d, m);
        Assert.Equal(64, task.Train.Count);
        Assert.Equal(408, task.Validation.Count); // GLUE dev: validation and test, as GLUE results are reported
        Assert.Equal(["accuracy", "f1"], task.Metrics);
        var batch = task.Validation.Batches(4, null, torch.CPU).First();
        Assert.NotNull(batch.AttentionMask);
        Assert.True(batch.Inputs.shape[1] <= 48);
        using var model = Catalog.Models[m.Name].Build(m, task, torch.CPU);
        Assert.Equal(["pooler", "classifier"], model.HeadModules);
        Assert.Equal([4L, 2], model.Classifier.Logits(batch.Inputs, batch.AttentionMask).shape);
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Cifar10))]
    public void Inputs_must_fit_the_dataset()
    {
        var (m, d) = Specs("\"deberta-v3-lab-tiny\"", "\"cifar10\"");
        using var executor = new RunExecutor(Catalog, torch.CPU, TestSupport.TempDir("cache"));
        Assert.Contains("holds images; the model takes text inputs", Assert.Throws<ArgumentException>(() => executor.Task(d, m)).Message);
    }

    [Fact]
    public void A_checkpoint_folder_loads_and_is_identified_by_its_content()
    {
        var folder = TestSupport.TempDir("ckpt");
        var saved = ModelRegistry.BuildClassifier("clip-vit-lab-tiny", ["a", "b", "c"], seed: 5);
        ModelRegistry.Save((IHfModel)saved, folder);
        var cache = TestSupport.TempDir("hashes");
        var sha = CheckpointHash.Of(folder, cache);
        Assert.Equal(64, sha.Length);
        Assert.True(File.Exists(Path.Combine(cache, CheckpointHash.CacheFileName)));
        Assert.Equal(sha, CheckpointHash.Of(folder, cache));
        // A copy elsewhere is the same checkpoint; a changed file is not.
        var copy = TestSupport.TempDir("ckpt-copy");
        foreach (var f in Directory.GetFiles(folder)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        Assert.Equal(sha, CheckpointHash.Of(copy, cache));
        File.AppendAllText(Path.Combine(copy, "config.json"), "\n");
        Assert.NotEqual(sha, CheckpointHash.Of(copy, cache));

        var spec = Catalog.NormalizeModel(new JsonObject { ["name"] = "clip-vit-lab-tiny", ["checkpoint"] = folder }, "model", "t");
        Assert.Equal(folder, spec.CheckpointPath);
        Assert.False(spec.Options.ContainsKey("checkpoint")); // the path is not part of the run key
        Assert.NotEqual("random-init", spec.CheckpointSha256);
        var task = new TrainingTask("t", new PartialLoRA.Training.TensorBatches(torch.zeros(2, 3, 32, 32), torch.zeros(2, torch.int64)),
            new PartialLoRA.Training.TensorBatches(torch.zeros(2, 3, 32, 32), torch.zeros(2, torch.int64)), null, ["a", "b", "c"], ["accuracy"], new JsonObject());
        using var loaded = Catalog.Models[spec.Name].Build(spec, task, torch.CPU);
        var x = TestSupport.Randn(1, 2, 3, 32, 32);
        saved.Module.eval();
        loaded.Classifier.Module.eval();
        Assert.True(torch.allclose(saved.Logits(x), loaded.Classifier.Logits(x), 1e-5, 1e-6));
        saved.Module.Dispose();
    }

    [Fact]
    public void Checkpoint_errors_name_the_field_and_the_folder()
    {
        var e = Assert.Throws<SpecException>(() => Catalog.NormalizeModel(JsonNode.Parse("""{"name": "clip-vit-b16", "checkpoint": "/no/such/model"}"""), "model", "spec.json"));
        Assert.StartsWith("spec.json: model.checkpoint: '/no/such/model': no such model folder.", e.Message);
        Assert.Contains("hub download", e.Message);
        var text = Catalog.NormalizeModel(JsonNode.Parse("\"deberta-v3-base\""), "model", "spec.json");
        Assert.Contains("needs its tokenizer", Assert.Throws<SpecException>(() => Catalog.Models["deberta-v3-base"].Inputs(text)).Message);
    }

    [Fact]
    public void Every_registry_model_and_dataset_is_in_the_catalog()
    {
        Assert.All(ModelRegistry.Presets, p => Assert.Contains(p.Name, Catalog.Models.Keys));
        Assert.All(PartialLoRA.Data.Registry.DatasetRegistry.All, d => Assert.Contains(d.Name, Catalog.Datasets.Keys));
        Assert.Equal(["score"], PresetModel.HeadModules(ModelFamily.Llama));
    }
}
