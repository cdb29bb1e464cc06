using System.Text.Json.Nodes;
using PartialLoRA.Checkpoints;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Models.ModelTestUtil;

namespace PartialLoRA.Tests.Models;

/// <summary>HF folders (config.json + safetensors) written here and loaded back: strict by default, lenient by flag, clear errors.</summary>
public class HfFolderLoadingTests
{
    public HfFolderLoadingTests() => _ = TestSupport.Torch;

    private static string Folder(JsonObject config, IEnumerable<(string, Tensor)> tensors)
    {
        var dir = TestSupport.TempDir("hf");
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        SafetensorsWriter.Save(Path.Combine(dir, "model.safetensors"), tensors);
        return dir;
    }

    private static IEnumerable<(string, Tensor)> State(nn.Module m, Func<string, string?>? rename = null) =>
        m.state_dict().Select(kv => (rename?.Invoke(kv.Key) ?? kv.Key, kv.Value)).Where(x => x.Item1 != "").ToList();

    [Fact]
    public void Saved_classifier_loads_back_strictly_with_identical_logits()
    {
        using var m = new DebertaV2ForSequenceClassification(DebertaModelTests.TinyV2, seed: 3);
        var dir = TestSupport.TempDir("save");
        ModelRegistry.Save(m, dir);
        Assert.True(File.Exists(Path.Combine(dir, "config.json")));
        var (loaded, report) = ModelRegistry.LoadClassifier(dir, seed: 99);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Empty(report.Fresh);
        Assert.Equal(m.state_dict().Count, report.Loaded.Count);
        m.eval();
        loaded.Module.eval();
        using var _ = torch.no_grad();
        var ids = RandomIds(2, 6, 100, 1);
        AssertClose(m.Logits(ids), loaded.Logits(ids), 0, "round trip");
    }

    [Fact]
    public void Shape_mismatch_names_the_tensor_and_both_shapes()
    {
        using var m = new LlamaForSequenceClassification(LlamaModelTests.Tiny);
        var cfg = m.ConfigJson();
        cfg["intermediate_size"] = 48;   // the checkpoint was made with 40
        var dir = Folder(cfg, State(m));
        var e = Assert.Throws<InvalidDataException>(() => ModelRegistry.LoadClassifier(dir));
        Assert.Contains("'model.layers.0.mlp.gate_proj.weight': checkpoint [40, 32] vs model [48, 32]", e.Message);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void Missing_tensors_are_all_listed_and_unexpected_ones_reported_unless_lenient()
    {
        using var m = new LlamaForSequenceClassification(LlamaModelTests.Tiny, seed: 2);
        var tensors = State(m, n => n.Contains("layers.1.mlp") ? "" : n).Append(("model.extra.weight", torch.zeros(3))).ToList();
        var dir = Folder(m.ConfigJson(), tensors);
        var e = Assert.Throws<InvalidDataException>(() => ModelRegistry.LoadClassifier(dir));
        Assert.Contains("missing 3 tensor(s): model.layers.1.mlp.down_proj.weight, model.layers.1.mlp.gate_proj.weight, model.layers.1.mlp.up_proj.weight", e.Message);
        Assert.Contains("unexpected 1 tensor(s): model.extra.weight", e.Message);
        Assert.Contains("leniently", e.Message);

        var (lenient, report) = ModelRegistry.LoadClassifier(dir, strict: false);
        Assert.Equal(3, report.Missing.Count);
        Assert.Equal(["model.extra.weight"], report.Unexpected);
        Assert.Contains("MISSING 3", report.Summary());
        var loadedQ = lenient.Module.state_dict()["model.layers.1.self_attn.q_proj.weight"];
        Assert.True(Same(m.state_dict()["model.layers.1.self_attn.q_proj.weight"], loadedQ));
    }

    [Fact]
    public void Backbone_checkpoints_load_into_a_classifier_with_a_fresh_head_and_skip_pretraining_heads()
    {
        // an HF DebertaV2ForMaskedLM checkpoint (legacy layout) as a GLUE starting point, with position_ids as old exports have
        using var mlm = new DebertaV2ForMaskedLM(DebertaModelTests.TinyV3, seed: 5);
        var tensors = State(mlm).Append(("deberta.embeddings.position_ids", torch.arange(64).unsqueeze(0)))
            .Append(("cls.predictions.decoder.weight", mlm.deberta.embeddings.word_embeddings.weight!)).ToList();
        var dir = Folder(mlm.ConfigJson(), tensors);
        var (cls, report) = ModelRegistry.LoadClassifier(dir, labels: ["neg", "pos"]);
        Assert.Equal(["classifier.bias", "classifier.weight", "pooler.dense.bias", "pooler.dense.weight"], report.Fresh);
        Assert.Contains("cls.predictions.bias", report.Skipped);
        Assert.Contains("cls.predictions.transform.dense.weight", report.Skipped);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Equal(2, cls.NumClasses);
        Assert.True(Same(mlm.deberta.encoder.layer[1].attention.self.query_proj is TorchSharp.Modules.Linear q ? q.weight! : null!,
            cls.Module.state_dict()["deberta.encoder.layer.1.attention.self.query_proj.weight"]));

        // a bare DebertaV2Model checkpoint (names without "deberta.") loads through the base-model prefix
        var bare = Folder(mlm.ConfigJson(), State(mlm.deberta));
        var (_, bareReport) = ModelRegistry.LoadClassifier(bare);
        Assert.Empty(bareReport.Missing);
        Assert.Equal(mlm.deberta.state_dict().Count, bareReport.Loaded.Count);
    }

    [Fact]
    public void Masked_lm_and_llama_load_from_hf_layouts()
    {
        using var mlm = new DebertaV2ForMaskedLM(DebertaModelTests.TinyV3, seed: 6);
        var dir = TestSupport.TempDir("mlm");
        ModelRegistry.Save(mlm, dir);
        var (back, r) = ModelRegistry.LoadMaskedLM(dir);
        Assert.Empty(r.Missing);
        back.eval();
        mlm.eval();
        using (torch.no_grad())
        {
            var ids = RandomIds(1, 5, 100, 2);
            AssertClose(mlm.Forward(ids), back.Forward(ids), 0, "mlm round trip");
        }

        // LlamaForCausalLM checkpoint (lm_head, old rotary inv_freq buffers) into the sequence classifier
        using var llama = new LlamaForSequenceClassification(LlamaModelTests.Tiny, seed: 7);
        var causal = State(llama, n => n.StartsWith("score") ? "" : n)
            .Append(("lm_head.weight", torch.zeros(100, 32)))
            .Append(("model.layers.0.self_attn.rotary_emb.inv_freq", torch.zeros(4))).ToList();
        var (seq, report) = ModelRegistry.LoadClassifier(Folder(llama.ConfigJson(), causal), dtype: ScalarType.BFloat16);
        Assert.Equal(["score.weight"], report.Fresh);
        Assert.Equal(ScalarType.BFloat16, seq.Module.state_dict()["model.layers.1.mlp.up_proj.weight"].dtype);
        Assert.True(Same(llama.state_dict()["model.norm.weight"].to(ScalarType.BFloat16), seq.Module.state_dict()["model.norm.weight"]));
        using (torch.no_grad())
            Assert.True(seq.Logits(RandomIds(1, 4, 100, 3)).isfinite().all().item<bool>());   // bf16 forward (RMSNorm in f32, masks in bf16)
        Assert.Equal(["lm_head.weight"], report.Skipped);
        Assert.Empty(report.Unexpected);
    }

    [Fact]
    public void Clip_checkpoint_loads_into_the_vision_classifier_and_a_saved_classifier_reloads()
    {
        using var clip = new ClipModel(ClipModelTests.Tiny, seed: 8);
        var dir = TestSupport.TempDir("clip");
        ModelRegistry.Save(clip, dir);
        var (clip2, rep) = ModelRegistry.LoadClip(dir);
        Assert.Empty(rep.Missing);
        Assert.Equal(clip.logit_scale.item<float>(), clip2.logit_scale.item<float>());
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.LoadClassifier(dir));
        Assert.Contains("LoadClipClassifier", e.Message);

        var head = new ClipVisionClassifier(clip.Config.Vision, clip.Config.ProjectionDim, ["x", "y"], seed: 1);
        var hdir = TestSupport.TempDir("head");
        ModelRegistry.Save(head, hdir);
        var (again, r2) = ModelRegistry.LoadClassifier(hdir);
        Assert.Empty(r2.Missing);
        Assert.Equal(["x", "y"], ((ClipVisionClassifier)again).Labels);
        head.eval();
        again.Module.eval();
        using var _ = torch.no_grad();
        var img = RandomImages(1, 3, 8, 2);
        AssertClose(head.Logits(img), again.Logits(img), 0, "classifier round trip");

        // an HF CLIPModel checkpoint into the classifier: text tower skipped, head fresh
        var (fromClip, r3) = (head, HfModelFolder.LoadWeights(head, dir));
        Assert.Equal(["classifier.bias", "classifier.weight"], r3.Fresh);
        Assert.Contains("logit_scale", r3.Skipped);
        Assert.Contains("text_projection.weight", r3.Skipped);
        Assert.True(Same(clip.state_dict()["vision_model.encoder.layers.1.mlp.fc2.weight"], fromClip.state_dict()["vision_model.encoder.layers.1.mlp.fc2.weight"]));
    }

    [Fact]
    public void Missing_files_say_which_file_where_and_how_to_supply_it()
    {
        var empty = TestSupport.TempDir("empty");
        var e = Assert.Throws<FileNotFoundException>(() => ModelRegistry.LoadClassifier(empty));
        Assert.Contains(Path.Combine(empty, "config.json"), e.Message);
        Assert.Contains("partial-lora hub download", e.Message);

        using var m = new LlamaForSequenceClassification(LlamaModelTests.Tiny);
        var dir = TestSupport.TempDir("noweights");
        File.WriteAllText(Path.Combine(dir, "config.json"), m.ConfigJson().ToJsonString());
        var w = Assert.Throws<FileNotFoundException>(() => ModelRegistry.LoadClassifier(dir));
        Assert.Contains("model.safetensors", w.Message);
        Assert.Contains(dir, w.Message);

        File.WriteAllBytes(Path.Combine(dir, "pytorch_model.bin"), [1, 2, 3]);
        var p = Assert.Throws<InvalidDataException>(() => ModelRegistry.LoadClassifier(dir));
        Assert.Contains("pickle", p.Message);

        var bad = TestSupport.TempDir("badtype");
        File.WriteAllText(Path.Combine(bad, "config.json"), """{"model_type":"bert"}""");
        Assert.Contains("'bert' is not supported", Assert.Throws<InvalidDataException>(() => ModelRegistry.LoadClassifier(bad)).Message);
    }

    [Fact]
    public void Failed_strict_load_leaves_the_model_untouched()
    {
        using var src = new LlamaForSequenceClassification(LlamaModelTests.Tiny, seed: 1);
        using var dst = new LlamaForSequenceClassification(LlamaModelTests.Tiny, seed: 2);
        var before = dst.state_dict()["model.embed_tokens.weight"].clone();
        using var ck = TensorCheckpoint.Open(Folder(src.ConfigJson(), State(src).Append(("junk", torch.zeros(1)))));
        Assert.Throws<InvalidDataException>(() => HfCheckpointLoader.Load(dst, ck));
        Assert.True(Same(before, dst.state_dict()["model.embed_tokens.weight"]));
    }
}
