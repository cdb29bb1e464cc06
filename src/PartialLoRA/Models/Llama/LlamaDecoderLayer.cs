using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Llama;

/// <summary>HF <c>LlamaDecoderLayer</c>, pre-norm: x + attn(RMSNorm(x)), then x + mlp(RMSNorm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    public LlamaAttention self_attn;
    public LlamaMlp mlp;
    public LlamaRmsNorm input_layernorm;
    public LlamaRmsNorm post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(c);
        mlp = new LlamaMlp(c);
        input_layernorm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps);
        post_attention_layernorm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor additiveMask, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        var h = hidden + self_attn.Forward(input_layernorm.call(hidden), additiveMask, cos, sin);
        h = h + mlp.call(post_attention_layernorm.call(h));
        return h.MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        self_attn.InitWeights(g);
        mlp.InitWeights(g);
        HfInit.Ones(input_layernorm.weight);
        HfInit.Ones(post_attention_layernorm.weight);
    }
}
