using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>HF <c>CLIPEncoder</c>: the stack of <see cref="ClipEncoderLayer"/> under <c>layers.{i}</c>.</summary>
public sealed class ClipEncoder : nn.Module
{
    public ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(ClipTowerConfig c) : base(nameof(ClipEncoder))
    {
        layers = nn.ModuleList(Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new ClipEncoderLayer(c)).ToArray());
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor? additiveMask, List<Tensor>? hiddenStates = null)
    {
        var h = hidden;
        foreach (var layer in layers)
        {
            hiddenStates?.Add(h);
            h = layer.Forward(h, additiveMask);
        }
        hiddenStates?.Add(h);
        return h;
    }

    internal void InitWeights(ClipTowerConfig c, Generator g)
    {
        foreach (var layer in layers) layer.InitWeights(c, g);
    }
}
