using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// A bare trainable matrix named <c>weight</c>, so a factor held in a field <c>lora_A</c> appears as
/// <c>lora_A.weight</c> in state_dict, as PEFT's <c>nn.Linear(bias=False)</c> factors do.
/// </summary>
public sealed class AdapterWeight : nn.Module
{
    private Parameter weight;

    public AdapterWeight(Tensor value) : base(nameof(AdapterWeight))
    {
        weight = new Parameter(value.DetachFromDisposeScope());
        RegisterComponents();
    }

    /// <summary>The matrix (TorchSharp replaces the Parameter on <c>module.to</c>; always read it here).</summary>
    public Parameter Weight => weight;
}
