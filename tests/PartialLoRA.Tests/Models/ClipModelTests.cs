using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using TorchSharp;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Models.ModelTestUtil;

namespace PartialLoRA.Tests.Models;

public class ClipModelTests
{
    public ClipModelTests() => _ = TestSupport.Torch;

    internal static ClipConfig Tiny => new(
        new ClipTextConfig { VocabSize = 99, HiddenSize = 32, IntermediateSize = 37, NumHiddenLayers = 2, NumAttentionHeads = 4, MaxPositionEmbeddings = 16, EosTokenId = 98 },
        new ClipVisionConfig { ImageSize = 8, PatchSize = 4, HiddenSize = 24, IntermediateSize = 40, NumHiddenLayers = 2, NumAttentionHeads = 2 })
    {
        ProjectionDim = 12,
    };

    [Fact]
    public void State_dict_names_are_HF_CLIPModel_names()
    {
        using var m = new ClipModel(Tiny with { Text = Tiny.Text with { NumHiddenLayers = 1 }, Vision = Tiny.Vision with { NumHiddenLayers = 1 } });
        string[] layer(string tower) =>
        [
            .. new[] { "k_proj", "v_proj", "q_proj", "out_proj" }.SelectMany(p => new[] { $"{tower}.encoder.layers.0.self_attn.{p}.weight", $"{tower}.encoder.layers.0.self_attn.{p}.bias" }),
            .. new[] { "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2" }.SelectMany(p => new[] { $"{tower}.encoder.layers.0.{p}.weight", $"{tower}.encoder.layers.0.{p}.bias" }),
        ];
        var expected = new HashSet<string>
        {
            "text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
            "text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias",
            "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight", "vision_model.embeddings.position_embedding.weight",
            "vision_model.pre_layrnorm.weight", "vision_model.pre_layrnorm.bias", "vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias",
            "visual_projection.weight", "text_projection.weight", "logit_scale",
        };
        expected.UnionWith(layer("text_model"));
        expected.UnionWith(layer("vision_model"));
        Assert.Equal(expected.OrderBy(x => x), StateKeys(m).OrderBy(x => x));
        Assert.Equal([12, 24], m.state_dict()["visual_projection.weight"].shape);
        Assert.Equal([24, 3, 4, 4], m.state_dict()["vision_model.embeddings.patch_embedding.weight"].shape);
        Assert.Equal([5, 24], m.state_dict()["vision_model.embeddings.position_embedding.weight"].shape);
        Assert.Empty(m.state_dict()["logit_scale"].shape);
        Assert.Equal(2.6592f, m.logit_scale.item<float>(), 4);
    }

    [Fact]
    public void Adapter_targets_are_replaceable_module_fields_with_HF_paths()
    {
        using var m = new ClipModel(Tiny);
        var names = ModuleNames(m);
        foreach (var p in new[] { "vision_model.encoder.layers.1.self_attn.q_proj", "vision_model.encoder.layers.0.self_attn.out_proj",
                     "vision_model.encoder.layers.0.mlp.fc1", "text_model.encoder.layers.1.mlp.fc2", "text_model.encoder.layers.0.self_attn.v_proj" })
            Assert.Contains(p, names);
        var field = typeof(ClipAttention).GetField("q_proj")!;
        Assert.Equal(typeof(nn.Module<Tensor, Tensor>), field.FieldType);
    }

    [Fact]
    public void Text_tower_is_causal_and_pools_at_the_first_end_of_text_token()
    {
        using var m = new ClipModel(Tiny, seed: 3);
        m.eval();
        using var _ = torch.no_grad();
        var a = Ids(new long[,] { { 1, 5, 7, 98, 3, 4 } });
        var b = Ids(new long[,] { { 1, 5, 7, 98, 60, 61 } });   // differs only after the EOT
        var (lastA, pooledA) = m.text_model.Forward(a);
        var (lastB, pooledB) = m.text_model.Forward(b);
        AssertClose(lastA.narrow(1, 0, 4), lastB.narrow(1, 0, 4), 1e-6, "positions up to EOT cannot see later tokens");
        AssertClose(pooledA, pooledB, 1e-6, "pooled EOT state");
        AssertClose(lastA.select(1, 3), pooledA, 0, "pooled = hidden state at the EOT position");
        Assert.True(MaxAbsDiff(lastA.select(1, 5), lastB.select(1, 5)) > 1e-4, "later positions do see their own tokens");
    }

    [Fact]
    public void Legacy_eos_id_2_pools_at_the_highest_id_as_HF_does()
    {
        var cfg = Tiny with { Text = Tiny.Text with { EosTokenId = 2 } };
        using var m = new ClipModel(cfg, seed: 4);
        m.eval();
        using var _ = torch.no_grad();
        var ids = Ids(new long[,] { { 1, 5, 97, 3, 4 }, { 1, 90, 5, 3, 4 } });
        var (last, pooled) = m.text_model.Forward(ids);
        AssertClose(last.select(1, 2).narrow(0, 0, 1), pooled.narrow(0, 0, 1), 0, "argmax id 97 at position 2");
        AssertClose(last.select(1, 1).narrow(0, 1, 1), pooled.narrow(0, 1, 1), 0, "argmax id 90 at position 1");
    }

    [Fact]
    public void Image_features_and_logits_have_the_documented_shapes_and_scale()
    {
        using var m = new ClipModel(Tiny, seed: 5);
        m.eval();
        using var _ = torch.no_grad();
        var img = RandomImages(3, 3, 8, 1);
        var ids = Ids(new long[,] { { 1, 5, 98, 0 }, { 1, 6, 7, 98 } });
        var mask = Ids(new long[,] { { 1, 1, 1, 0 }, { 1, 1, 1, 1 } });
        Assert.Equal([3, 12], m.GetImageFeatures(img).shape);
        var logits = m.LogitsPerImage(img, ids, mask);
        Assert.Equal([3, 2], logits.shape);
        var cos = logits / m.logit_scale.exp();
        Assert.True(cos.abs().max().item<float>() <= 1.0001f, "logits / exp(logit_scale) are cosines");
    }

    [Fact]
    public void Vision_input_of_the_wrong_size_is_a_clear_error()
    {
        using var m = new ClipModel(Tiny);
        var e = Assert.Throws<ArgumentException>(() => m.GetImageFeatures(torch.zeros(1, 3, 16, 16)));
        Assert.Contains("(N,3,8,8)", e.Message);
        Assert.Contains("(1,3,16,16)", e.Message);
    }

    [Fact]
    public void Same_seed_same_weights_other_seed_other_weights()
    {
        using var a = new ClipModel(Tiny, seed: 7);
        using var b = new ClipModel(Tiny, seed: 7);
        using var c = new ClipModel(Tiny, seed: 8);
        foreach (var (name, t) in a.state_dict())
            Assert.True(Same(t, b.state_dict()[name]), name);
        Assert.False(Same(a.state_dict()["vision_model.encoder.layers.0.mlp.fc1.weight"], c.state_dict()["vision_model.encoder.layers.0.mlp.fc1.weight"]));
    }

    [Fact]
    public void Quick_gelu_is_x_times_sigmoid_of_1_702x()
    {
        var x = torch.linspace(-4, 4, 17);
        var f = Activations.Get("quick_gelu");
        AssertClose(x * torch.sigmoid(x * 1.702), f(x), 1e-7, "quick_gelu");
        Assert.Throws<InvalidDataException>(() => Activations.Get("gelu_fast_made_up", "cfg"));
    }
}
