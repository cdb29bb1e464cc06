using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>HF <c>CLIPEncoderLayer</c>, pre-LN: x + attn(LN1(x)), then x + mlp(LN2(x)).</summary>
public sealed class ClipEncoderLayer : nn.Module
{
    public ClipAttention self_attn;
    public LayerNorm layer_norm1;
    public ClipMlp mlp;
    public LayerNorm layer_norm2;

    public ClipEncoderLayer(ClipTowerConfig c) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(c);
        layer_norm1 = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        mlp = new ClipMlp(c);
        layer_norm2 = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = torch.NewDisposeScope();
        var h = hidden + self_attn.Forward(layer_norm1.call(hidden), additiveMask);
        h = h + mlp.call(layer_norm2.call(h));
        return h.MoveToOuterDisposeScope();
    }

    internal void InitWeights(ClipTowerConfig c, Generator g)
    {
        self_attn.InitWeights(c, g);
        mlp.InitWeights(c, g);
        HfInit.LayerNorm(layer_norm1);
        HfInit.LayerNorm(layer_norm2);
    }
}
