using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>HF <c>CLIPMLP</c>: fc1 → activation (quick-GELU for OpenAI CLIP) → fc2.</summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> fc1;
    public nn.Module<Tensor, Tensor> fc2;
    private readonly Func<Tensor, Tensor> act;

    public ClipMlp(ClipTowerConfig c) : base(nameof(ClipMlp))
    {
        act = Activations.Get(c.HiddenAct);
        fc1 = nn.Linear(c.HiddenSize, c.IntermediateSize);
        fc2 = nn.Linear(c.IntermediateSize, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return fc2.call(act(fc1.call(x))).MoveToOuterDisposeScope();
    }

    internal void InitWeights(ClipTowerConfig c, Generator g)
    {
        var inStd = Math.Pow(c.HiddenSize, -0.5) * Math.Pow(2.0 * c.NumHiddenLayers, -0.5) * c.InitializerFactor;
        var fcStd = Math.Pow(2.0 * c.HiddenSize, -0.5) * c.InitializerFactor;
        HfInit.Linear(fc1, fcStd, g);
        HfInit.Linear(fc2, inStd, g);
    }
}
