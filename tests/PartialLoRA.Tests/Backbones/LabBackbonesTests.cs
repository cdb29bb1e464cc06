using PartialLoRA.Backbones;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using TorchSharp;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Models.ModelTestUtil;

namespace PartialLoRA.Tests.Backbones;

public class LabBackbonesTests
{
    public LabBackbonesTests() => _ = TestSupport.Torch;

    private static Tensor Fp16(Tensor t) => t.to(ScalarType.Float16).to(ScalarType.Float32);

    [Fact]
    public void Vision_backbone_round_trips_through_the_fp16_folder_with_a_new_head()
    {
        var root = TestSupport.TempDir("backbones-vision");
        using var original = new ClipVisionClassifier(BackboneFixtures.TinyVision, 12, ["a", "b", "c"], seed: 3);
        BackboneFixtures.Publish(original, root, LabBackbones.VisionName);

        using var model = LabBackbones.Vision(["x", "y"], root, seed: 5);
        Assert.Equal(2, model.NumClasses);
        var mine = model.state_dict();
        foreach (var (name, t) in original.state_dict())
        {
            if (name.StartsWith("classifier.")) continue;
            Assert.True(Same(Fp16(t), mine[name]), $"{name} differs from the fp16-rounded original");
        }
        Assert.Equal([2, 12], mine["classifier.weight"].shape);

        using var pretraining = LabBackbones.VisionPretrainingClassifier(root);
        Assert.Equal(["a", "b", "c"], pretraining.Labels);
        original.eval();
        pretraining.eval();
        using var _ = torch.no_grad();
        var x = RandomImages(3, 3, 8, 9);
        AssertClose(original.Logits(x), pretraining.Logits(x), 0.02, "pretraining head after fp16 round trip");
    }

    [Fact]
    public void Text_backbone_loads_as_a_classifier_with_its_tokenizer()
    {
        var root = TestSupport.TempDir("backbones-text");
        using var mlm = new DebertaV2ForMaskedLM(BackboneFixtures.TinyText, seed: 4);
        BackboneFixtures.Publish(mlm, root, LabBackbones.TextName, f => BackboneFixtures.WriteVocab(f));

        using var model = LabBackbones.Text(["neg", "pos"], root);
        Assert.Equal(2, model.NumClasses);
        var mine = model.state_dict();
        foreach (var (name, t) in mlm.state_dict().Where(kv => kv.Key.StartsWith("deberta.")))
            Assert.True(Same(Fp16(t), mine[name]), $"{name} differs from the fp16-rounded original");
        var tok = LabBackbones.Tokenizer(root);
        Assert.Equal([2, 5, 7, 8, 9, 3], tok.Encode("The film is good"));
        using var back = LabBackbones.TextMaskedLM(root);
        Assert.True(Same(Fp16(mlm.cls!.predictions.transform.LayerNorm.weight!), back.cls!.predictions.transform.LayerNorm.weight!));
    }

    [Fact]
    public void A_changed_file_fails_the_sha256_check_naming_it()
    {
        var root = TestSupport.TempDir("backbones-tamper");
        using var original = new ClipVisionClassifier(BackboneFixtures.TinyVision, 12, ["a", "b"], seed: 3);
        var folder = BackboneFixtures.Publish(original, root, LabBackbones.VisionName);
        using (LabBackbones.Vision(["a", "b"], root)) { }

        var weights = Path.Combine(folder, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        File.SetLastWriteTimeUtc(weights, DateTime.UtcNow.AddMinutes(1));
        var e = Assert.Throws<InvalidDataException>(() => LabBackbones.Vision(["a", "b"], root));
        Assert.Contains(weights, e.Message);
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public void Missing_manifest_entry_file_or_unlisted_file_are_clear_errors()
    {
        var empty = TestSupport.TempDir("backbones-none");
        var e1 = Assert.Throws<FileNotFoundException>(() => LabBackbones.Vision(["a"], empty));
        Assert.Contains("partial-lora pretrain", e1.Message);

        var root = TestSupport.TempDir("backbones-missing");
        using var original = new ClipVisionClassifier(BackboneFixtures.TinyVision, 12, ["a", "b"], seed: 3);
        var folder = BackboneFixtures.Publish(original, root, LabBackbones.VisionName);
        var e2 = Assert.Throws<FileNotFoundException>(() => LabBackbones.Text(["a", "b"], root));
        Assert.Contains($"no backbone '{LabBackbones.TextName}'", e2.Message);

        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not listed");
        var e3 = Assert.Throws<InvalidDataException>(() => LabBackbones.Vision(["a"], root));
        Assert.Contains("notes.txt", e3.Message);
        File.Delete(Path.Combine(folder, "notes.txt"));

        File.Delete(Path.Combine(folder, "config.json"));
        var e4 = Assert.Throws<FileNotFoundException>(() => LabBackbones.Vision(["a"], root));
        Assert.Contains("config.json", e4.Message);
    }

    [Fact]
    public void Concurrent_manifest_updates_lose_no_entry()
    {
        var root = TestSupport.TempDir("backbones-manifest-update");
        Parallel.For(0, 4, w =>
        {
            for (int i = 0; i < 10; i++)
                BackboneManifest.Update(root, m => m.SetEntry($"b{w}-{i}", new System.Text.Json.Nodes.JsonObject { ["folder"] = "x" }));
        });
        Assert.Equal(40, BackboneManifest.Open(root).Names.Count());
    }

    [Fact]
    public void Recorded_baseline_test_accuracy_is_read_from_the_manifest_table_or_null()
    {
        var root = TestSupport.TempDir("backbones-baseline-read");
        Assert.Null(FewShotBaselines.RecordedTestAccuracy(BackboneManifest.Open(root), "fashion-mnist"));
        var rows = System.Text.Json.Nodes.JsonNode.Parse("""[{"task":"cifar10","test":{"accuracy":0.7}},{"task":"fashion-mnist","test":{"accuracy":0.48}}]""")!;
        BackboneManifest.Update(root, m => m.SetSection(FewShotBaselines.SectionName, new System.Text.Json.Nodes.JsonObject { ["rows"] = rows }));
        var manifest = BackboneManifest.Open(root);
        Assert.Equal(0.48, FewShotBaselines.RecordedTestAccuracy(manifest, "fashion-mnist"));
        Assert.Null(FewShotBaselines.RecordedTestAccuracy(manifest, "gtsrb"));
    }
}
