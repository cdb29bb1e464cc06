using PartialLoRA.Models;
using PartialLoRA.Models.Deberta;
using TorchSharp;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Models.ModelTestUtil;

namespace PartialLoRA.Tests.Models;

public class DebertaModelTests
{
    public DebertaModelTests() => _ = TestSupport.Torch;

    /// <summary>DeBERTa-v3 style: shared attention keys, log buckets, LayerNorm'd relative embeddings, no absolute positions.</summary>
    internal static DebertaV2Config TinyV3 => DebertaV2Config.V3Base with
    {
        VocabSize = 100, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 37,
        MaxPositionEmbeddings = 64, PositionBuckets = 8, Labels = ["neg", "pos", "neutral"],
    };

    /// <summary>DeBERTa-v2 style: separate pos_key/pos_query projections, absolute positions, token types, embed_proj, conv after layer 0.</summary>
    internal static DebertaV2Config TinyV2 => new()
    {
        VocabSize = 100, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 37,
        MaxPositionEmbeddings = 64, RelativeAttention = true, MaxRelativePositions = 6, PosAttType = ["c2p", "p2c"],
        PositionBiasedInput = true, TypeVocabSize = 2, EmbeddingSizeField = 24, ConvKernelSize = 3, ConvAct = "gelu",
        NormRelEbd = ["layer_norm"], Labels = ["a", "b"],
    };

    [Fact]
    public void State_dict_names_are_HF_DebertaV2ForSequenceClassification_names()
    {
        using var m = new DebertaV2ForSequenceClassification(TinyV3 with { NumHiddenLayers = 1 });
        var l = "deberta.encoder.layer.0.";
        var expected = new[]
        {
            "deberta.embeddings.word_embeddings.weight", "deberta.embeddings.LayerNorm.weight", "deberta.embeddings.LayerNorm.bias",
            l + "attention.self.query_proj.weight", l + "attention.self.query_proj.bias", l + "attention.self.key_proj.weight", l + "attention.self.key_proj.bias",
            l + "attention.self.value_proj.weight", l + "attention.self.value_proj.bias",
            l + "attention.output.dense.weight", l + "attention.output.dense.bias", l + "attention.output.LayerNorm.weight", l + "attention.output.LayerNorm.bias",
            l + "intermediate.dense.weight", l + "intermediate.dense.bias", l + "output.dense.weight", l + "output.dense.bias",
            l + "output.LayerNorm.weight", l + "output.LayerNorm.bias",
            "deberta.encoder.rel_embeddings.weight", "deberta.encoder.LayerNorm.weight", "deberta.encoder.LayerNorm.bias",
            "pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias",
        };
        Assert.Equal(expected.OrderBy(x => x), StateKeys(m).OrderBy(x => x));
        Assert.Equal([16, 32], m.state_dict()["deberta.encoder.rel_embeddings.weight"].shape);   // 2 × position_buckets
        Assert.Equal([3, 32], m.state_dict()["classifier.weight"].shape);

        using var v2 = new DebertaV2ForSequenceClassification(TinyV2 with { NumHiddenLayers = 1 });
        var extra = StateKeys(v2).Except(StateKeys(m)).OrderBy(x => x, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            l + "attention.self.pos_key_proj.bias", l + "attention.self.pos_key_proj.weight",
            l + "attention.self.pos_query_proj.bias", l + "attention.self.pos_query_proj.weight",
            "deberta.embeddings.embed_proj.weight", "deberta.embeddings.position_embeddings.weight", "deberta.embeddings.token_type_embeddings.weight",
            "deberta.encoder.conv.LayerNorm.bias", "deberta.encoder.conv.LayerNorm.weight", "deberta.encoder.conv.conv.bias", "deberta.encoder.conv.conv.weight",
        }.OrderBy(x => x, StringComparer.Ordinal), extra);
        Assert.Equal([12, 32], v2.state_dict()["deberta.encoder.rel_embeddings.weight"].shape);   // 2 × max_relative_positions
        Assert.Equal([100, 24], v2.state_dict()["deberta.embeddings.word_embeddings.weight"].shape);
    }

    [Fact]
    public void Log_buckets_keep_near_distances_and_compress_far_ones_as_HF()
    {
        // bucket 256, max 512 (DeBERTa-v3): mid 128; |δ| ≤ 128 exact, else ceil(ln(|δ|/128)/ln(511/128)·127) + 128
        var rel = torch.tensor(new long[] { 0, 5, -5, 127, 128, 129, 200, -200, 511, -511 });
        var b = RelativePositions.LogBucket(rel, 256, 512).to(ScalarType.Int64);
        Assert.Equal(new long[] { 0, 5, -5, 127, 128, 129, 169, -169, 255, -255 }, b.data<long>().ToArray());

        var small = RelativePositions.Build(4, 4, -1, -1, CPU);
        Assert.Equal([1, 4, 4], small.shape);
        Assert.Equal(new long[] { 0, -1, -2, -3, 1, 0, -1, -2, 2, 1, 0, -1, 3, 2, 1, 0 }, small.data<long>().ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Blockwise_equals_logits(bool v3)
    {
        using var m = new DebertaV2ForSequenceClassification(v3 ? TinyV3 : TinyV2, seed: 1);
        m.eval();
        using var _ = torch.no_grad();
        var ids = RandomIds(3, 9, 100, 2);
        var mask = Ids(new long[,] { { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1, 0, 0, 0 }, { 1, 1, 1, 0, 0, 0, 0, 0, 0 } });
        var full = m.Logits(ids, mask);
        Assert.Equal([3, v3 ? 3 : 2], full.shape);
        AssertClose(full, Blockwise(m, ids, mask), 1e-6, "Head(Block(...Embed(x))) vs Logits(x)");
        Assert.Equal(0, m.BlockIndexOf("deberta.encoder.layer.0.attention.self.query_proj"));
        Assert.Equal(1, m.BlockIndexOf("deberta.encoder.layer.1.output.dense"));
        Assert.Equal(v3 ? 0 : 0, m.BlockIndexOf("deberta.encoder.conv.conv"));
        Assert.Null(m.BlockIndexOf("deberta.encoder.rel_embeddings"));
        Assert.Null(m.BlockIndexOf("classifier"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Padding_does_not_change_the_logits(bool v3)
    {
        using var m = new DebertaV2ForSequenceClassification(v3 ? TinyV3 : TinyV2, seed: 3);
        m.eval();
        using var _ = torch.no_grad();
        var ids = RandomIds(1, 7, 100, 4);
        var alone = m.Logits(ids, torch.ones_like(ids));
        var padded = torch.cat([ids, torch.zeros(1, 5, ScalarType.Int64)], 1);
        var mask = torch.cat([torch.ones(1, 7, ScalarType.Int64), torch.zeros(1, 5, ScalarType.Int64)], 1);
        AssertClose(alone, m.Logits(padded, mask), 2e-6, "padded vs unpadded");
    }

    [Fact]
    public void Relative_attention_makes_the_model_position_aware()
    {
        // v3 has no absolute positions: only c2p/p2c can tell a permutation of the tokens apart.
        using var m = new DebertaV2ForSequenceClassification(TinyV3, seed: 5);
        m.eval();
        using var _ = torch.no_grad();
        // HF's N(0, 0.02) init leaves attention almost uniform; sharpen it so that order matters measurably
        foreach (var p in m.parameters()) if (p.dim() == 2) p.mul_(25);
        var a = Ids(new long[,] { { 1, 10, 20, 30, 2 } });
        var b = Ids(new long[,] { { 1, 30, 20, 10, 2 } });
        Assert.True(MaxAbsDiff(m.Logits(a), m.Logits(b)) > 1e-3);
    }

    [Fact]
    public void Masked_lm_head_is_tied_to_the_word_embeddings_in_both_HF_layouts()
    {
        using var legacy = new DebertaV2ForMaskedLM(TinyV3, seed: 6);
        Assert.Contains("cls.predictions.bias", StateKeys(legacy));
        Assert.Contains("cls.predictions.transform.dense.weight", StateKeys(legacy));
        Assert.Contains("cls.predictions.transform.LayerNorm.weight", StateKeys(legacy));
        Assert.DoesNotContain(StateKeys(legacy), k => k.Contains("decoder"));
        using var modern = new DebertaV2ForMaskedLM(TinyV3 with { Legacy = false }, seed: 6);
        Assert.Contains("lm_predictions.lm_head.bias", StateKeys(modern));
        Assert.Contains("lm_predictions.lm_head.dense.weight", StateKeys(modern));

        legacy.eval();
        using var _ = torch.no_grad();
        var ids = RandomIds(2, 6, 100, 7);
        var logits = legacy.Forward(ids);
        Assert.Equal([2, 6, 100], logits.shape);
        // tied: scaling the word-embedding row of token 42 changes only that vocabulary column's logit (besides the input path)
        var h = legacy.deberta.Forward(ids);
        var t = legacy.cls!.predictions.transform.call(h);
        var manual = torch.matmul(t, legacy.deberta.embeddings.word_embeddings.weight!.t()) + legacy.cls.predictions.bias;
        AssertClose(manual, logits, 1e-5, "logits = transform(h)·Eᵀ + bias");
        var labels = torch.full(2, 6, -100L);
        labels[0, 2] = torch.tensor(42L);
        var loss = legacy.Loss(logits, labels);
        var expected = -logits[0, 2].log_softmax(-1)[42];
        Assert.Equal(expected.item<float>(), loss.item<float>(), 5);
    }

    [Fact]
    public void Config_json_round_trips_and_bad_fields_are_named()
    {
        var c = TinyV2;
        var json = HfConfigWriter.ToJson(c.ToJson("DebertaV2ForSequenceClassification"));
        var back = DebertaV2Config.FromJson(HfConfigJson.Parse(json, "config.json"));
        Assert.Equal(c.HiddenSize, back.HiddenSize);
        Assert.Equal(c.PosAttType, back.PosAttType);
        Assert.Equal(c.EmbeddingSize, back.EmbeddingSize);
        Assert.Equal(c.Labels, back.Labels);
        Assert.Equal(c.ConvKernelSize, back.ConvKernelSize);

        var v3 = DebertaV2Config.FromJson(HfConfigJson.Parse("""{"model_type":"deberta-v2","pos_att_type":"p2c|c2p","relative_attention":true,"position_buckets":256,"hidden_size":768,"num_attention_heads":12}""", "cfg.json"));
        Assert.True(v3.C2P && v3.P2C);
        var e = Assert.Throws<InvalidDataException>(() => DebertaV2Config.FromJson(HfConfigJson.Parse("""{"hidden_size":"768"}""", "cfg.json")));
        Assert.Contains("cfg.json", e.Message);
        Assert.Contains("'hidden_size'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => DebertaV2Config.FromJson(HfConfigJson.Parse("""{"hidden_size":770,"num_attention_heads":12}""", "cfg.json")));
        Assert.Contains("multiple of 'num_attention_heads'", e.Message);
    }

    [Fact]
    public void Deberta_v3_base_has_the_published_parameter_count_and_runs_on_cpu()
    {
        using var m = new DebertaV2ForSequenceClassification(DebertaV2Config.V3Base with { Labels = ["a", "b"] });
        // Published: 86M backbone + 98M embedding parameters (microsoft/deberta-v3-base model card);
        // keras-hub's deberta_v3_base_en preset lists 183,831,552 for the bare model.
        const long embeddings = 128100L * 768 + 2 * 768;
        const long layer = 4 * (768L * 768 + 768) + 2 * 768 + (768L * 3072 + 3072) + (3072L * 768 + 768) + 2 * 768;
        const long backbone = 12 * layer + 512L * 768 + 2 * 768;   // layers + rel_embeddings (2·256 buckets) + their LayerNorm
        Assert.Equal(183_831_552L, embeddings + backbone);
        Assert.Equal(183_831_552L, ModelRegistry.ParameterCount(m.deberta));
        Assert.Equal(768L * 768 + 768 + 768 * 2 + 2, ModelRegistry.ParameterCount(m) - ModelRegistry.ParameterCount(m.deberta));
        m.eval();
        using var _ = torch.no_grad();
        var logits = m.Logits(RandomIds(2, 12, 128100, 1), null);
        Assert.Equal([2, 2], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }
}
