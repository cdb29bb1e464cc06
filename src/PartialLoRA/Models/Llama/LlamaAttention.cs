using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Llama;

/// <summary>
/// HF <c>LlamaAttention</c> (eager): grouped-query attention with num_key_value_heads ≤ num_attention_heads (each
/// key/value head serves heads/kv_heads query heads, HF's repeat_kv), RoPE on q and k, scores scaled by
/// head_dim^-0.5, causal + padding mask, softmax in float32, then <c>o_proj</c>.
/// </summary>
public sealed class LlamaAttention : nn.Module
{
    public nn.Module<Tensor, Tensor> q_proj;
    public nn.Module<Tensor, Tensor> k_proj;
    public nn.Module<Tensor, Tensor> v_proj;
    public nn.Module<Tensor, Tensor> o_proj;

    private readonly LlamaConfig config;

    public LlamaAttention(LlamaConfig c) : base(nameof(LlamaAttention))
    {
        config = c;
        q_proj = nn.Linear(c.HiddenSize, c.NumAttentionHeads * c.HeadDim, hasBias: c.AttentionBias);
        k_proj = nn.Linear(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, hasBias: c.AttentionBias);
        v_proj = nn.Linear(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, hasBias: c.AttentionBias);
        o_proj = nn.Linear(c.NumAttentionHeads * c.HeadDim, c.HiddenSize, hasBias: c.AttentionBias);
        RegisterComponents();
    }

    /// <param name="additiveMask">(N,1,T,T): 0 where attention is allowed, the dtype's minimum elsewhere.</param>
    public Tensor Forward(Tensor hidden, Tensor additiveMask, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        var c = config;
        var (n, t) = (hidden.shape[0], hidden.shape[1]);
        var q = q_proj.call(hidden).view(n, t, c.NumAttentionHeads, c.HeadDim).transpose(1, 2);
        var k = k_proj.call(hidden).view(n, t, c.NumKeyValueHeads, c.HeadDim).transpose(1, 2);
        var v = v_proj.call(hidden).view(n, t, c.NumKeyValueHeads, c.HeadDim).transpose(1, 2);
        q = LlamaRotaryEmbedding.Apply(q, cos, sin);
        k = LlamaRotaryEmbedding.Apply(k, cos, sin);
        var groups = c.NumAttentionHeads / c.NumKeyValueHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, 1);
            v = v.repeat_interleave(groups, 1);
        }
        var scores = torch.matmul(q, k.transpose(2, 3)) * Math.Pow(c.HeadDim, -0.5) + additiveMask;
        var probs = nn.functional.dropout(scores.softmax(-1, ScalarType.Float32).to(q.dtype), c.AttentionDropout, training);
        var ctx = torch.matmul(probs, v).transpose(1, 2).contiguous().reshape(n, t, c.NumAttentionHeads * c.HeadDim);
        return o_proj.call(ctx).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        foreach (var m in new[] { q_proj, k_proj, v_proj, o_proj }) HfInit.Linear(m, config.InitializerRange, g);
    }
}
