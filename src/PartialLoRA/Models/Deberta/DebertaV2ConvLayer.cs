using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>ConvLayer</c> (DeBERTa-v2 xlarge/xxlarge, <c>conv_kernel_size</c> &gt; 0): after layer 0, a 1-D convolution
/// over the embedding output, masked, activated, added to layer 0's output and layer-normed, padded positions zeroed.
/// </summary>
public sealed class DebertaV2ConvLayer : nn.Module
{
    public Conv1d conv;
    public LayerNorm LayerNorm;

    private readonly DebertaV2Config config;
    private readonly Func<Tensor, Tensor> act;

    public DebertaV2ConvLayer(DebertaV2Config c) : base(nameof(DebertaV2ConvLayer))
    {
        config = c;
        act = Activations.Get(c.ConvAct);
        conv = nn.Conv1d(c.HiddenSize, c.HiddenSize, c.ConvKernelSize, padding: (c.ConvKernelSize - 1) / 2, groups: c.ConvGroups);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor embeddingOutput, Tensor layer0Output, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var m = mask.to(layer0Output.dtype).unsqueeze(2);
        var o = conv.call(embeddingOutput.permute(0, 2, 1).contiguous()).permute(0, 2, 1).contiguous();
        o = o.masked_fill(m.eq(0).expand_as(o), 0);
        o = act(nn.functional.dropout(o, config.HiddenDropoutProb, training));
        return (LayerNorm.call(layer0Output + o) * m).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        // HF's _init_weights leaves Conv1d at PyTorch's default; draw it from the seed with the same std as Linear.
        HfInit.Normal(conv.weight!, config.InitializerRange, g);
        HfInit.Zeros(conv.bias);
        HfInit.LayerNorm(LayerNorm);
    }
}
