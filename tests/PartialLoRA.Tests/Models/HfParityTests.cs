using PartialLoRA.Checkpoints;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Models.Llama;
using PartialLoRA.Tests.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Models;

/// <summary>
/// Parity with HF transformers: tests/fixtures/hf/&lt;model&gt; holds a tiny random-weight model saved by transformers
/// (config.json + model.safetensors) and its outputs on fixed inputs (reference.safetensors), made by
/// tools/parity/make_hf_fixtures.py. Each model loads strictly and must match to 1e-4 (f32); text models are
/// compared at real (unmasked) positions. Skipped, with the reason shown, while a fixture is absent.
/// </summary>
public class HfParityTests
{
    private const double Tol = 1e-4;

    public HfParityTests() => _ = TestSupport.Torch;

    private static string Dir(string name) => Path.Combine(TestData.RepoRoot, "tests", "fixtures", "hf", name);

    private static string? Missing(string name) =>
        File.Exists(Path.Combine(Dir(name), "reference.safetensors")) ? null
            : $"HF fixture tests/fixtures/hf/{name} is absent: run tools/parity/make_hf_fixtures.py where torch + transformers are installed";

    public static string? ClipMissing => Missing("clip");
    public static string? DebertaV3Missing => Missing("deberta-v3");
    public static string? DebertaV3MlmMissing => Missing("deberta-v3-mlm");
    public static string? DebertaV2Missing => Missing("deberta-v2");
    public static string? LlamaMissing => Missing("llama");

    private static TensorCheckpoint Reference(string name) => TensorCheckpoint.Open(Path.Combine(Dir(name), "reference.safetensors"));

    private static void Close(TensorCheckpoint r, string key, Tensor actual, Tensor? mask = null)
    {
        var expected = r.Load(key);
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual.to(ScalarType.Float32)).abs();
        if (mask is not null) diff = diff.masked_fill(mask.eq(0).view(mask.shape[0], mask.shape[1], 1), 0);   // padded positions are not compared
        var max = diff.max().item<float>();
        Assert.True(max <= Tol, $"{key}: max |C# − transformers| = {max:G4} > {Tol}");
    }

    [RequiresFact(typeof(HfParityTests), nameof(ClipMissing))]
    public void Clip_matches_transformers()
    {
        var (clip, report) = ModelRegistry.LoadClip(Dir("clip"));
        Assert.Empty(report.Missing);
        using var r = Reference("clip");
        clip.eval();
        using var _ = torch.no_grad();
        var (ids, mask, pixels) = (r.Load("input_ids"), r.Load("attention_mask"), r.Load("pixel_values"));
        var textStates = new List<Tensor>();
        var (textLast, textPooled) = clip.text_model.Forward(ids, mask, textStates);
        var visionStates = new List<Tensor>();
        var (visionLast, visionPooled) = clip.vision_model.Forward(pixels, visionStates);
        Close(r, "text_last_hidden_state", textLast, mask);
        Close(r, "text_layer_0_output", textStates[1], mask);
        Close(r, "text_pooler_output", textPooled);
        Close(r, "vision_layer_0_output", visionStates[1]);
        Close(r, "vision_last_hidden_state", visionLast);
        Close(r, "vision_pooler_output", visionPooled);
        Close(r, "text_embeds", nn.functional.normalize(clip.GetTextFeatures(ids, mask), p: 2, dim: -1));
        Close(r, "image_embeds", nn.functional.normalize(clip.GetImageFeatures(pixels), p: 2, dim: -1));
        Close(r, "logits_per_image", clip.LogitsPerImage(pixels, ids, mask));

        // the paper's classifier on the same checkpoint sees HF's image embeddings
        var head = new ClipVisionClassifier(clip.Config.Vision, clip.Config.ProjectionDim, ["a", "b"]);
        var hr = HfModelFolder.LoadWeights(head, Dir("clip"));
        Assert.Equal(["classifier.bias", "classifier.weight"], hr.Fresh);
        head.eval();
        var (last, _) = head.vision_model.Forward(pixels);
        Close(r, "image_embeds", head.Features(last));
    }

    [RequiresFact(typeof(HfParityTests), nameof(DebertaV3Missing))]
    public void Deberta_v3_sequence_classifier_matches_transformers() => DebertaClassifier("deberta-v3");

    [RequiresFact(typeof(HfParityTests), nameof(DebertaV2Missing))]
    public void Deberta_v2_sequence_classifier_with_conv_and_absolute_positions_matches_transformers() => DebertaClassifier("deberta-v2");

    private static void DebertaClassifier(string name)
    {
        var (model, report) = ModelRegistry.LoadClassifier(Dir(name));
        Assert.Empty(report.Fresh);
        var m = (DebertaV2ForSequenceClassification)model;
        using var r = Reference(name);
        m.eval();
        using var _ = torch.no_grad();
        var (ids, mask) = (r.Load("input_ids"), r.Load("attention_mask"));
        Close(r, "logits", m.Logits(ids, mask));
        var enc = m.deberta.encoder;
        var embedding = m.deberta.embeddings.Forward(ids, mask);
        Close(r, "embedding_output", embedding, mask);
        var layer0 = enc.layer[0].Forward(embedding, DebertaV2Encoder.Allowed(mask), enc.RelativePos(ids.shape[1], ids.device), enc.RelEmbeddings());
        Close(r, "layer_0_output", layer0, mask);   // before the v2 conv, which the encoder applies after layer 0
        Close(r, "last_hidden_state", m.deberta.Forward(ids, mask), mask);
    }

    [RequiresFact(typeof(HfParityTests), nameof(DebertaV3MlmMissing))]
    public void Deberta_v3_masked_lm_matches_transformers()
    {
        var (m, report) = ModelRegistry.LoadMaskedLM(Dir("deberta-v3-mlm"));
        Assert.Empty(report.Missing);
        using var r = Reference("deberta-v3-mlm");
        m.eval();
        using var _ = torch.no_grad();
        var (ids, mask) = (r.Load("input_ids"), r.Load("attention_mask"));
        Close(r, "logits", m.Forward(ids, mask), mask);
    }

    [RequiresFact(typeof(HfParityTests), nameof(LlamaMissing))]
    public void Llama_sequence_classifier_with_gqa_matches_transformers()
    {
        var (model, report) = ModelRegistry.LoadClassifier(Dir("llama"));
        Assert.Empty(report.Fresh);
        var m = (LlamaForSequenceClassification)model;
        Assert.True(m.Config.NumKeyValueHeads < m.Config.NumAttentionHeads);
        using var r = Reference("llama");
        m.eval();
        using var _ = torch.no_grad();
        var (ids, mask) = (r.Load("input_ids"), r.Load("attention_mask"));
        Close(r, "logits", m.Logits(ids, mask));
        var states = new List<Tensor>();
        var last = m.model.Forward(ids, mask, states);
        Close(r, "layer_0_output", states[1], mask);
        Close(r, "last_hidden_state", last, mask);
    }
}
