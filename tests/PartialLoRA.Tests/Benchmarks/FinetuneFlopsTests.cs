using PartialLoRA.Benchmarks;
using PartialLoRA.Models.Clip;

namespace PartialLoRA.Tests.Benchmarks;

public sealed class FinetuneFlopsTests
{
    private static readonly FinetuneFlops VitB16 = new(ClipConfig.VitB16.Vision, 512, 100);

    [Fact]
    public void ViT_B16_forward_is_the_hand_count_and_the_published_17_6_GMACs()
    {
        const double t = 197, d = 768, f = 3072, layers = 12;
        var patch = 2.0 * 196 * (3 * 16 * 16) * d;
        var perLayer = 4 * 2 * t * d * d + 2 * 2 * t * d * f + 4 * t * t * d;
        var head = 2 * d * 512 + 2 * 512 * 100;
        Assert.Equal(patch + layers * perLayer + head, VitB16.BaseForward);
        // Dosovitskiy et al. / timm: ViT-B/16 at 224² is 17.6 G multiply-adds per image.
        Assert.InRange(VitB16.BaseForward / 2, 17.4e9, 17.7e9);
    }

    [Fact]
    public void Step_counts_follow_the_documented_backward_rules()
    {
        var b = 64;
        var lin = 12 * VitB16.LayerLinears;
        var att = 12 * VitB16.LayerAttention;
        var fwd = VitB16.BaseForward;
        Assert.Equal(b * fwd, VitB16.PerStep(StepKind.Eval, b));
        Assert.Equal(b * (fwd + (lin + VitB16.Head) + (VitB16.PatchEmbedding + lin + VitB16.Head) + 2 * att), VitB16.PerStep(StepKind.Full, b));

        // LoRA r = 16 on q, k, v, out (768→768) and fc1 (768→3072), fc2 (3072→768) in 12 layers.
        var adapters = Enumerable.Range(0, 12).SelectMany(_ => new[]
        {
            new AdaptedLinear(768, 768, 16), new AdaptedLinear(768, 768, 16), new AdaptedLinear(768, 768, 16),
            new AdaptedLinear(768, 768, 16), new AdaptedLinear(768, 3072, 16), new AdaptedLinear(3072, 768, 16),
        }).ToList();
        var adapterFwd = 12 * 2 * 197.0 * 16 * (4 * 1536 + 2 * 3840);
        Assert.Equal(adapterFwd, VitB16.AdapterForward(adapters), 6);
        var expected = b * (fwd + (lin - VitB16.LayerQkv + VitB16.Head) + 2 * 512 * 100 + 2 * att + 3 * adapterFwd);
        Assert.Equal(expected, VitB16.PerStep(StepKind.Adapters, b, adapters), 6);
        // A frozen base makes an adapter step cheaper than a full one, dearer than evaluation.
        Assert.InRange(VitB16.PerStep(StepKind.Adapters, b, adapters), VitB16.PerStep(StepKind.Eval, b), VitB16.PerStep(StepKind.Full, b));
        Assert.Throws<ArgumentException>(() => VitB16.PerStep(StepKind.Adapters, b));
    }
}
