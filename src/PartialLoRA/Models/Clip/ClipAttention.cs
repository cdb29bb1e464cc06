using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>
/// HF <c>CLIPAttention</c>: multi-head self-attention with biased q/k/v/out projections, scores scaled by
/// head_dim^-0.5 (the default scale of scaled_dot_product_attention). <see cref="Implementation"/> picks the fused
/// SDPA kernel (default) or HF's eager path (softmax in float32); both agree to rounding.
/// The projections are replaceable fields so adapters can wrap them (<c>…self_attn.q_proj</c>, …).
/// </summary>
public sealed class ClipAttention : nn.Module
{
    public nn.Module<Tensor, Tensor> k_proj;
    public nn.Module<Tensor, Tensor> v_proj;
    public nn.Module<Tensor, Tensor> q_proj;
    public nn.Module<Tensor, Tensor> out_proj;

    private readonly int heads;
    private readonly int headDim;
    private readonly double dropout;

    public ClipAttention(ClipTowerConfig c) : base(nameof(ClipAttention))
    {
        heads = c.NumAttentionHeads;
        headDim = c.HeadDim;
        dropout = c.AttentionDropout;
        Implementation = c.AttnImplementation;
        k_proj = nn.Linear(c.HiddenSize, c.HiddenSize);
        v_proj = nn.Linear(c.HiddenSize, c.HiddenSize);
        q_proj = nn.Linear(c.HiddenSize, c.HiddenSize);
        out_proj = nn.Linear(c.HiddenSize, c.HiddenSize);
        RegisterComponents();
    }

    /// <summary>SDPA (default, from the config) or eager; may be switched at any time, the weights are the same.</summary>
    public AttentionImplementation Implementation { get; set; }

    /// <param name="additiveMask">(N,1,T,T) added to the scores (0 or the dtype's minimum), or null.</param>
    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = torch.NewDisposeScope();
        var (n, t) = (hidden.shape[0], hidden.shape[1]);
        var q = q_proj.call(hidden).view(n, t, heads, headDim).transpose(1, 2);
        var k = k_proj.call(hidden).view(n, t, heads, headDim).transpose(1, 2);
        var v = v_proj.call(hidden).view(n, t, heads, headDim).transpose(1, 2);
        var attended = Implementation == AttentionImplementation.Sdpa
            ? nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? dropout : 0, false)
            : Eager(q, k, v, additiveMask);
        var ctx = attended.transpose(1, 2).reshape(n, t, heads * headDim);
        return out_proj.call(ctx).MoveToOuterDisposeScope();
    }

    private Tensor Eager(Tensor q, Tensor k, Tensor v, Tensor? additiveMask)
    {
        var scores = torch.matmul(q, k.transpose(2, 3)) * Math.Pow(headDim, -0.5);
        if (additiveMask is not null) scores = scores + additiveMask;
        var probs = scores.softmax(-1, ScalarType.Float32).to(q.dtype);
        probs = nn.functional.dropout(probs, dropout, training);
        return torch.matmul(probs, v);
    }

    internal void InitWeights(ClipTowerConfig c, Generator g)
    {
        var inStd = Math.Pow(c.HiddenSize, -0.5) * Math.Pow(2.0 * c.NumHiddenLayers, -0.5) * c.InitializerFactor;
        var outStd = Math.Pow(c.HiddenSize, -0.5) * c.InitializerFactor;
        HfInit.Linear(q_proj, inStd, g);
        HfInit.Linear(k_proj, inStd, g);
        HfInit.Linear(v_proj, inStd, g);
        HfInit.Linear(out_proj, outStd, g);
    }
}
