using PartialLoRA.Models;
using PartialLoRA.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Models.ModelTestUtil;

namespace PartialLoRA.Tests.Models;

public class LlamaModelTests
{
    public LlamaModelTests() => _ = TestSupport.Torch;

    internal static LlamaConfig Tiny => new()
    {
        VocabSize = 100, HiddenSize = 32, IntermediateSize = 40, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeadsField = 2, MaxPositionEmbeddings = 64, PadTokenId = 0, Labels = ["neg", "pos"],
    };

    [Fact]
    public void State_dict_names_are_HF_LlamaForSequenceClassification_names()
    {
        using var m = new LlamaForSequenceClassification(Tiny with { NumHiddenLayers = 1 });
        var l = "model.layers.0.";
        var expected = new[]
        {
            "model.embed_tokens.weight", l + "self_attn.q_proj.weight", l + "self_attn.k_proj.weight", l + "self_attn.v_proj.weight",
            l + "self_attn.o_proj.weight", l + "mlp.gate_proj.weight", l + "mlp.up_proj.weight", l + "mlp.down_proj.weight",
            l + "input_layernorm.weight", l + "post_attention_layernorm.weight", "model.norm.weight", "score.weight",
        };
        Assert.Equal(expected.OrderBy(x => x), StateKeys(m).OrderBy(x => x));
        Assert.Equal([16, 32], m.state_dict()[l + "self_attn.k_proj.weight"].shape);   // 2 kv heads × head_dim 8
        Assert.Equal([2, 32], m.state_dict()["score.weight"].shape);
        Assert.Contains("model.layers.0.mlp.gate_proj", ModuleNames(m));
    }

    [Fact]
    public void Grouped_query_attention_equals_full_attention_with_repeated_key_value_heads()
    {
        using var gqa = new LlamaForSequenceClassification(Tiny, seed: 1);
        using var full = new LlamaForSequenceClassification(Tiny with { NumKeyValueHeadsField = 4 }, seed: 2);
        using (torch.no_grad())
        {
            var src = gqa.state_dict();
            foreach (var (name, t) in full.state_dict())
            {
                var s = src[name];
                if (name.EndsWith("k_proj.weight") || name.EndsWith("v_proj.weight"))
                    t.copy_(s.view(2, 8, 32).repeat_interleave(2, 0).reshape(32, 32));   // kv head j serves query heads 2j, 2j+1
                else t.copy_(s);
            }
        }
        gqa.eval();
        full.eval();
        using var _ = torch.no_grad();
        var ids = RandomIds(2, 7, 100, 3);
        AssertClose(full.Logits(ids), gqa.Logits(ids), 1e-5, "GQA vs repeated heads");
    }

    [Fact]
    public void Decoder_is_causal()
    {
        using var m = new LlamaForSequenceClassification(Tiny, seed: 4);
        m.eval();
        using var _ = torch.no_grad();
        var a = Ids(new long[,] { { 5, 6, 7, 8, 9 } });
        var b = Ids(new long[,] { { 5, 6, 7, 50, 51 } });
        var ha = m.model.Forward(a);
        var hb = m.model.Forward(b);
        AssertClose(ha.narrow(1, 0, 3), hb.narrow(1, 0, 3), 1e-6, "prefix");
        Assert.True(MaxAbsDiff(ha.select(1, 4), hb.select(1, 4)) > 1e-4);
    }

    [Fact]
    public void Right_padding_with_a_mask_gives_each_row_its_unpadded_logits_and_blockwise_matches()
    {
        using var m = new LlamaForSequenceClassification(Tiny, seed: 5);
        m.eval();
        using var _ = torch.no_grad();
        var a = Ids(new long[,] { { 5, 6, 7, 8, 9, 10 } });
        var b = Ids(new long[,] { { 11, 12, 13 } });
        var batch = Ids(new long[,] { { 5, 6, 7, 8, 9, 10 }, { 11, 12, 13, 0, 0, 0 } });
        var mask = Ids(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0, 0 } });
        var logits = m.Logits(batch, mask);
        AssertClose(m.Logits(a), logits.narrow(0, 0, 1), 1e-5, "row 0");
        AssertClose(m.Logits(b), logits.narrow(0, 1, 1), 1e-5, "row 1 pooled at its last real token");
        AssertClose(logits, Blockwise(m, batch, mask), 1e-6, "blockwise");
        Assert.Equal(new long[] { 5, 2 }, LlamaForSequenceClassification.LastTokenIndex(mask, 2, 6, CPU).data<long>().ToArray());
        Assert.Equal(1, m.BlockIndexOf("model.layers.1.self_attn.q_proj"));
        Assert.Null(m.BlockIndexOf("score"));
    }

    [Fact]
    public void Rotary_embedding_preserves_norms_and_scores_depend_on_relative_offset_only()
    {
        var rope = new LlamaRotaryEmbedding(Tiny);
        var (cos, sin) = rope.Forward(12, ScalarType.Float32, CPU);
        using var g = new Generator(9);
        var q = torch.randn([1, 1, 1, 8], generator: g).expand(1, 1, 12, 8);
        var k = torch.randn([1, 1, 1, 8], generator: g).expand(1, 1, 12, 8);
        var rq = LlamaRotaryEmbedding.Apply(q, cos, sin);
        var rk = LlamaRotaryEmbedding.Apply(k, cos, sin);
        AssertClose(q.norm(-1), rq.norm(-1), 1e-5, "norm");
        var s = torch.matmul(rq, rk.transpose(-1, -2)).squeeze();   // s[i,j] = f(i - j)
        AssertClose(s[3, 1], s[10, 8], 1e-5, "offset 2");
        AssertClose(s[1, 3], s[7, 9], 1e-5, "offset -2");
        // position 0 is the identity; inv_freq[0] = 1 so dims (0, 4) rotate by 1 rad per position
        AssertClose(q.select(2, 0), rq.select(2, 0), 1e-7, "position 0");
        Assert.Equal((float)Math.Cos(3.0), cos[3, 0].item<float>(), 6);
    }

    [Fact]
    public void Rms_norm_is_x_over_root_mean_square_times_weight()
    {
        var n = new LlamaRmsNorm(4, 1e-6);
        using (torch.no_grad()) n.weight.copy_(torch.tensor(new float[] { 1, 2, 3, 4 }));
        var x = torch.tensor(new float[] { 1, -2, 3, -4 });
        var rms = Math.Sqrt((1 + 4 + 9 + 16) / 4.0 + 1e-6);
        var expected = torch.tensor(new[] { (float)(1 / rms), (float)(-4 / rms), (float)(9 / rms), (float)(-16 / rms) });
        AssertClose(expected, n.call(x), 1e-6, "rms norm");
    }

    [Fact]
    public void Config_reads_rope_theta_from_transformers_4_and_5_layouts()
    {
        var v4 = LlamaConfig.FromJson(HfConfigJson.Parse("""{"model_type":"llama","rope_theta":500000.0,"num_key_value_heads":8}""", "c.json"));
        Assert.Equal(500000.0, v4.RopeTheta);
        Assert.Equal(8, v4.NumKeyValueHeads);
        var v5 = LlamaConfig.FromJson(HfConfigJson.Parse("""{"model_type":"llama","rope_parameters":{"rope_type":"default","rope_theta":10000.0}}""", "c.json"));
        Assert.Equal(10000.0, v5.RopeTheta);
        Assert.Null(v5.PadTokenId);
        var e = Assert.Throws<InvalidDataException>(() => LlamaConfig.FromJson(HfConfigJson.Parse("""{"rope_scaling":{"rope_type":"llama3","factor":8.0}}""", "c.json")));
        Assert.Contains("llama3", e.Message);
        e = Assert.Throws<InvalidDataException>(() => LlamaConfig.FromJson(HfConfigJson.Parse("""{"num_attention_heads":32,"num_key_value_heads":5}""", "c.json")));
        Assert.Contains("num_key_value_heads", e.Message);
    }

    [Fact]
    public void Llama_2_7b_parameter_count_follows_from_the_architecture()
    {
        static long Count(LlamaConfig c, long head) =>
            (long)c.VocabSize * c.HiddenSize
            + c.NumHiddenLayers * ((long)c.HiddenSize * c.NumAttentionHeads * c.HeadDim * 2 + 2L * c.HiddenSize * c.NumKeyValueHeads * c.HeadDim
                                   + 3L * c.HiddenSize * c.IntermediateSize + 2L * c.HiddenSize)
            + c.HiddenSize + head;
        using var small = new LlamaForSequenceClassification(Tiny);
        Assert.Equal(Count(Tiny, 2L * Tiny.HiddenSize), ModelRegistry.ParameterCount(small));
        // LLaMA(-2)-7B with its 32000×4096 lm_head has 6,738,415,616 parameters (keras-hub's llama presets,
        // llama_7b_en; the "all params" PEFT prints for huggyllama/llama-7b).
        var c7 = LlamaConfig.Llama2_7B;
        Assert.Equal(6_738_415_616L, Count(c7, 32000L * 4096));
    }
}
