using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Tests.Text;
using PartialLoRA.Text;
using TorchSharp;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Models.ModelTestUtil;

namespace PartialLoRA.Tests.Models;

public class ClipClassifierTests
{
    public ClipClassifierTests() => _ = TestSupport.Torch;

    [Fact]
    public void Blockwise_equals_logits_and_block_paths_map_to_layers()
    {
        var cfg = ClipModelTests.Tiny;
        using var m = new ClipVisionClassifier(cfg.Vision, cfg.ProjectionDim, ["a", "b", "c", "d", "e"], seed: 2);
        m.eval();
        using var _ = torch.no_grad();
        var x = RandomImages(2, 3, 8, 3);
        var logits = m.Logits(x);
        Assert.Equal([2, 5], logits.shape);
        AssertClose(logits, Blockwise(m, x, null), 0, "blockwise");
        Assert.Equal(1, m.BlockIndexOf("vision_model.encoder.layers.1.self_attn.q_proj"));
        Assert.Null(m.BlockIndexOf("vision_model.embeddings.patch_embedding"));
        Assert.Null(m.BlockIndexOf("classifier"));
        var keys = StateKeys(m);
        Assert.Contains("vision_model.embeddings.class_embedding", keys);
        Assert.Contains("visual_projection.weight", keys);
        Assert.Contains("classifier.weight", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("text_model"));
    }

    [RequiresFact(typeof(ClipTokenizerTests), nameof(ClipTokenizerTests.VocabMissing))]
    public void Prompt_initialised_head_reproduces_CLIP_zero_shot_logits()
    {
        var tok = ClipTokenizerTests.Tokenizer!;
        var cfg = ClipModelTests.Tiny with { Text = ClipModelTests.Tiny.Text with { VocabSize = 49408, MaxPositionEmbeddings = 77, EosTokenId = 49407 } };
        using var clip = new ClipModel(cfg, seed: 11);
        clip.eval();
        var classes = new IReadOnlyList<string>[] { ["cat"], ["dog", "puppy"], ["airplane"] };
        var templates = new[] { "a photo of a {}.", "a blurry photo of a {}." };
        using var head = ClipZeroShotHead.Build(clip, tok, classes, templates);
        head.eval();
        using var _ = torch.no_grad();
        var images = RandomImages(4, 3, 8, 5);

        // CLIP zero-shot by hand: mean of the normalised prompt embeddings per class, renormalised, times exp(logit_scale)
        var rows = new List<Tensor>();
        foreach (var names in classes)
        {
            var prompts = names.SelectMany(n => templates.Select(t => t.Replace("{}", n))).ToList();
            var (ids, mask) = tok.EncodeBatch(prompts);
            var f = nn.functional.normalize(clip.GetTextFeatures(ids, mask), p: 2, dim: -1).mean([0]);
            rows.Add(f / f.norm());
        }
        var w = torch.stack(rows, 0);
        var img = nn.functional.normalize(clip.GetImageFeatures(images), p: 2, dim: -1);
        var expected = torch.matmul(img, w.t()) * clip.logit_scale.exp();
        AssertClose(expected, head.Logits(images), 1e-4, "zero-shot logits");
        Assert.Equal(["cat", "dog", "airplane"], head.Labels);
        Assert.Throws<ArgumentException>(() => { ClipZeroShotHead.ClassEmbeddings(clip, tok, classes, ["no placeholder"]); });
    }

    [Fact]
    public void Lab_scale_classifier_runs_on_32px_images_with_patch_4()
    {
        var m = (ClipVisionClassifier)ModelRegistry.BuildClassifier("clip-vit-lab-tiny", 10, seed: 1);
        Assert.Equal(6, m.BlockCount);
        Assert.Equal(65, m.VisionConfig.NumPositions);
        m.eval();
        using var _ = torch.no_grad();
        var logits = m.Logits(RandomImages(2, 3, 32, 1));
        Assert.Equal([2, 10], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void Vit_b16_vision_tower_has_the_published_parameter_count_and_runs_on_cpu()
    {
        var v = ClipConfig.VitB16.Vision;
        using var tower = new ClipVisionTransformer(v);
        // closed form: class token + bias-free 16×16 patch conv + 197 positions + pre/post LN + 12 pre-LN layers
        const long layer = 4 * (768L * 768 + 768) + 2 * 768 + (768L * 3072 + 3072) + (3072L * 768 + 768) + 2 * 768;
        const long expected = 768 + 3L * 16 * 16 * 768 + 197L * 768 + 2 * 768 + 12 * layer + 2 * 768;
        Assert.Equal(85_799_424L, expected);
        Assert.Equal(expected, ModelRegistry.ParameterCount(tower));
        // The whole CLIP ViT-B/16 (tower + visual_projection 768×512 + text tower + text_projection + logit_scale) is
        // 149,620,737 parameters in keras-hub's CLIP presets (early clip_presets.py; the current file says 149,620,934,
        // which adds the 197 vision position ids it keeps as weights).
        const long text = 49408L * 512 + 77L * 512 + 12 * (4 * (512L * 512 + 512) + 2 * 512 + (512L * 2048 + 2048) + (2048L * 512 + 512) + 2 * 512) + 2 * 512;
        Assert.Equal(149_620_737L, expected + 768L * 512 + text + 512L * 512 + 1);
        tower.eval();
        using var _ = torch.no_grad();
        var (last, pooled) = tower.Forward(RandomImages(1, 3, 224, 7));
        Assert.Equal([1, 197, 768], last.shape);
        Assert.Equal([1, 768], pooled.shape);
        Assert.True(pooled.isfinite().all().item<bool>());
    }
}
