using System.Text.Json.Nodes;
using PartialLoRA.Backbones;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.ModelProviders;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Tests.Backbones;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Experiments;

/// <summary>The engine's lab-vision / lab-text models on tiny published backbones and tiny data roots.</summary>
public class LabBackboneModelTests
{
    public LabBackboneModelTests() => _ = TestSupport.Torch;

    /// <summary>A backbones folder holding a tiny published lab vision backbone (also used by the bench derive CLI test).</summary>
    internal static string VisionRoot(string name, long seed = 3)
    {
        var root = TestSupport.TempDir(name);
        using var backbone = new ClipVisionClassifier(BackboneFixtures.TinyVision, 12, ["a", "b", "c"], seed: seed);
        BackboneFixtures.Publish(backbone, root, LabBackbones.VisionName);
        return root;
    }

    private static string TextRoot(string name)
    {
        var root = TestSupport.TempDir(name);
        using var mlm = new DebertaV2ForMaskedLM(BackboneFixtures.TinyText, seed: 4);
        BackboneFixtures.Publish(mlm, root, LabBackbones.TextName, f => BackboneFixtures.WriteVocab(f));
        return root;
    }

    private static ModelSpec Model(ExperimentCatalog c, string json) => c.NormalizeModel(JsonNode.Parse(json), "model", "spec.json");

    private static Tensor HeadWeight(ClipVisionClassifier m) => ((TorchSharp.Modules.Linear)m.classifier).weight!;

    [Fact]
    public void Vision_head_is_the_class_mean_head_of_the_few_shot_set_and_the_path_is_not_in_the_key()
    {
        var root = VisionRoot("lab-vision");
        var data = BackboneFixtures.TinyCifar(TestSupport.TempDir("lab-vision-data"), perClass: 4);
        var catalog = BuiltInCatalog.Create(data);
        var spec = Model(catalog, $$"""{"name": "lab-vision", "folder": "{{root}}", "init_seed": 2}""");
        Assert.Equal(root, spec.CheckpointPath);
        Assert.False(spec.Options.ContainsKey("checkpoint"));
        Assert.Equal("class-mean", spec.Options["head"]!.GetValue<string>());
        Assert.Equal(LabBackboneModel.ManifestSha256(LabBackbones.VisionName, root), spec.CheckpointSha256);
        Assert.Equal("lab8", catalog.Models["lab-vision"].Inputs(spec).ImagePreset);

        var dataset = catalog.NormalizeDataset(JsonNode.Parse("""{"name": "cifar10", "shots": 2}"""), "dataset", "spec.json");
        using var executor = new RunExecutor(catalog, torch.CPU, TestSupport.TempDir("lab-vision-cache"));
        var task = executor.Task(dataset, spec);
        using var handle = catalog.Models["lab-vision"].Build(spec, task, torch.CPU);
        Assert.Equal(["classifier"], handle.HeadModules);
        Assert.Equal(["q_proj", "v_proj"], handle.DefaultTargetModules("partial-lora"));

        // The same head built by hand from D_t: what Algorithm 1's μ is measured on.
        var few = (ClassificationSetBatches)task.FewShot!;
        using var expected = LabBackbones.Vision(task.ClassNames, root, seed: 2);
        ClassMeanHead.Initialize(expected, few.Set, few.Transform);
        var built = (ClipVisionClassifier)handle.Classifier;
        Assert.True(torch.allclose(HeadWeight(expected), HeadWeight(built), 1e-6, 1e-6));
        // Rows are CLIP-scaled unit vectors, not the seeded init.
        Assert.True(torch.allclose(HeadWeight(built).norm(1, false, 2), torch.full(10, (float)ClassMeanHead.ClipScale), 1e-3, 1e-3));

        var random = Model(catalog, $$"""{"name": "lab-vision", "folder": "{{root}}", "head": "random", "init_seed": 2}""");
        using var seeded = catalog.Models["lab-vision"].Build(random, task, torch.CPU);
        Assert.False(torch.allclose(HeadWeight(built), HeadWeight((ClipVisionClassifier)seeded.Classifier)));
    }

    [Fact]
    public void New_backbone_weights_mean_a_new_checkpoint_hash_and_a_copy_keeps_it()
    {
        var a = VisionRoot("lab-hash-a", seed: 3);
        var b = VisionRoot("lab-hash-b", seed: 3);
        var c = VisionRoot("lab-hash-c", seed: 9);
        var catalog = BuiltInCatalog.Create(TestSupport.TempDir("lab-hash-data"));
        string Sha(string root) => Model(catalog, $$"""{"name": "lab-vision", "folder": "{{root}}"}""").CheckpointSha256;
        Assert.Equal(Sha(a), Sha(b));
        Assert.NotEqual(Sha(a), Sha(c));
        Assert.Equal(64, Sha(a).Length);
    }

    [Fact]
    public void Bad_options_are_errors_naming_the_field()
    {
        var catalog = BuiltInCatalog.Create(TestSupport.TempDir("lab-err-data"));
        var empty = TestSupport.TempDir("lab-err-empty");
        var e = Assert.Throws<SpecException>(() => Model(catalog, $$"""{"name": "lab-vision", "folder": "{{empty}}"}"""));
        Assert.StartsWith("spec.json: model.folder: model lab-vision:", e.Message);
        Assert.Contains("partial-lora pretrain", e.Message);

        var vision = VisionRoot("lab-err-vision");
        e = Assert.Throws<SpecException>(() => Model(catalog, $$"""{"name": "lab-text", "folder": "{{vision}}"}"""));
        Assert.Contains("no backbone 'text'", e.Message.Replace(LabBackbones.TextName, "text"));
        e = Assert.Throws<SpecException>(() => Model(catalog, $$"""{"name": "lab-vision", "folder": "{{vision}}", "head": "prompts"}"""));
        Assert.StartsWith("spec.json: model.head: 'prompts': expected \"class-mean\" or \"random\"", e.Message);
        e = Assert.Throws<SpecException>(() => Model(catalog, $$"""{"name": "lab-vision", "folder": "{{vision}}", "checkpoint": "x"}"""));
        Assert.StartsWith("spec.json: model.checkpoint: unknown field", e.Message);
    }

    [Fact]
    public void Text_model_uses_the_backbone_tokenizer_and_the_gaussian_class_mean_head()
    {
        var root = TextRoot("lab-text");
        var data = BackboneFixtures.TinySst2(TestSupport.TempDir("lab-text-data"));
        var catalog = BuiltInCatalog.Create(data);
        var spec = Model(catalog, $$"""{"name": "lab-text", "folder": "{{root}}"}""");
        var inputs = catalog.Models["lab-text"].Inputs(spec);
        Assert.Equal(InputKind.Text, inputs.Kind);
        Assert.Equal([2, 5, 7, 8, 9, 3], inputs.Tokenizer!.Encode("The film is good"));
        Assert.StartsWith("lab-text-wordpiece:", inputs.TokenizerKey);

        var dataset = catalog.NormalizeDataset(JsonNode.Parse("""{"name": "sst2", "max_length": 16, "few_shot_ratio": 0.5}"""), "dataset", "spec.json");
        using var executor = new RunExecutor(catalog, torch.CPU, TestSupport.TempDir("lab-text-cache"));
        var task = executor.Task(dataset, spec);
        using var handle = catalog.Models["lab-text"].Build(spec, task, torch.CPU);
        Assert.Equal(["pooler", "classifier"], handle.HeadModules);

        var few = (ClassificationSetBatches)task.FewShot!;
        using var expected = LabBackbones.Text(task.ClassNames, root, seed: 0);
        ClassMeanHead.Initialize(expected, few.Set);
        var built = (DebertaV2ForSequenceClassification)handle.Classifier;
        var (w, wb) = (((TorchSharp.Modules.Linear)expected.classifier).weight!, ((TorchSharp.Modules.Linear)built.classifier).weight!);
        Assert.True(torch.allclose(w, wb, 1e-5, 1e-6));
        Assert.Equal(2, built.NumClasses);
    }
}
