using PartialLoRA.Models.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Benchmarks;

/// <summary>The SDPA attention path against HF's eager path, and a float32 head on a bf16 tower.</summary>
public sealed class ClipAttentionTests
{
    private static readonly ClipVisionConfig Small = new()
    {
        HiddenSize = 32, IntermediateSize = 64, NumAttentionHeads = 4, NumHiddenLayers = 2, ImageSize = 8, PatchSize = 4,
    };

    private static double MaxDiff(Tensor a, Tensor b)
    {
        using var d = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    private static void SetAll(ClipVisionClassifier model, AttentionImplementation impl)
    {
        foreach (var m in model.modules().OfType<ClipAttention>()) m.Implementation = impl;
    }

    [Fact]
    public void Sdpa_is_the_default_and_the_config_can_ask_for_eager()
    {
        _ = TestSupport.Torch;
        using var sdpa = new ClipVisionClassifier(Small, 16, ["a", "b"]);
        using var eager = new ClipVisionClassifier(Small with { AttnImplementation = AttentionImplementation.Eager }, 16, ["a", "b"]);
        Assert.All(sdpa.modules().OfType<ClipAttention>(), m => Assert.Equal(AttentionImplementation.Sdpa, m.Implementation));
        Assert.All(eager.modules().OfType<ClipAttention>(), m => Assert.Equal(AttentionImplementation.Eager, m.Implementation));
        Assert.Equal(sdpa.state_dict().Keys.Order(), eager.state_dict().Keys.Order());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sdpa_equals_eager_in_output_and_gradients(bool masked)
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        using var model = new ClipVisionClassifier(Small, 16, ["a", "b"], seed: 4);
        var attn = model.vision_model.encoder.layers[0].self_attn;
        using var g = new Generator(2);
        var x = torch.randn([3, 5, 32], generator: g);
        Tensor? mask = null;
        if (masked)
        {
            // Causal plus one padded key per sample, as the text tower builds it (0 or the dtype's minimum).
            var keep = torch.ones(5, 5).tril().to(ScalarType.Bool).unsqueeze(0).repeat(3, 1, 1);
            keep[TensorIndex.Colon, TensorIndex.Colon, 0] = torch.tensor(true);
            keep[1, TensorIndex.Colon, 3] = torch.tensor(false);
            mask = torch.zeros(3, 1, 5, 5).masked_fill(keep.logical_not().unsqueeze(1), float.MinValue);
        }

        (Tensor Y, Tensor Dx, Tensor Dw) Run(AttentionImplementation impl)
        {
            attn.Implementation = impl;
            var xi = x.clone().requires_grad_(true);
            var q = ((TorchSharp.Modules.Linear)attn.q_proj).weight!;
            q.grad = null;
            var y = attn.Forward(xi, mask);
            (y * y).sum().backward();
            return (y.detach(), xi.grad!.clone(), q.grad!.clone());
        }

        var s = Run(AttentionImplementation.Sdpa);
        var e = Run(AttentionImplementation.Eager);
        Assert.True(MaxDiff(s.Y, e.Y) <= 1e-5, $"outputs differ by {MaxDiff(s.Y, e.Y):E2}");
        Assert.True(MaxDiff(s.Dx, e.Dx) <= 1e-5, $"input gradients differ by {MaxDiff(s.Dx, e.Dx):E2}");
        Assert.True(MaxDiff(s.Dw, e.Dw) <= 1e-5, $"q_proj gradients differ by {MaxDiff(s.Dw, e.Dw):E2}");
    }

    [Fact]
    public void Whole_classifier_logits_agree_between_sdpa_and_eager()
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        using var model = new ClipVisionClassifier(Small, 16, ["a", "b", "c"], seed: 5);
        var pixels = TestSupport.Randn(6, 2, 3, 8, 8);
        SetAll(model, AttentionImplementation.Sdpa);
        var s = model.Logits(pixels).detach();
        SetAll(model, AttentionImplementation.Eager);
        var e = model.Logits(pixels).detach();
        Assert.True(MaxDiff(s, e) <= 1e-5, $"logits differ by {MaxDiff(s, e):E2}");
    }

    [Fact]
    public void A_float32_head_on_a_bf16_tower_gets_float32_features()
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        using var model = new ClipVisionClassifier(Small, 16, ["a", "b", "c"], seed: 5);
        var pixels = TestSupport.Randn(6, 2, 3, 8, 8);
        var f32 = model.Logits(pixels).detach();
        model.to(ScalarType.BFloat16);
        model.classifier.to(ScalarType.Float32);
        var mixed = model.Logits(pixels.to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.Float32, mixed.dtype);
        Assert.True(MaxDiff(mixed, f32) <= 0.05 * f32.abs().max().item<float>(), $"bf16 tower logits differ by {MaxDiff(mixed, f32):E2}");
    }
}
