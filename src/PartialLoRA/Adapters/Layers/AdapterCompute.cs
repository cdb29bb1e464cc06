namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// The dtype an adapter computes in when its base layer runs in half precision and its own parameters are float32
/// (PEFT's <c>autocast_adapter_dtype</c>). With the frozen base held in bf16 no autocast scope is involved (TorchSharp
/// 0.107 does not expose it; <c>Training/Autocast</c> reaches libtorch's), so the choice is explicit.
/// </summary>
public enum AdapterCompute
{
    /// <summary>
    /// Activations are cast up to the adapter's dtype and the sum back to the base layer's: PEFT without autocast.
    /// Most precise; every adapted layer converts its input and output once per pass.
    /// </summary>
    AdapterDtype,

    /// <summary>
    /// The adapter's (small) factors are cast down to the activations' dtype and the adapter runs there, fused with
    /// the base output, as under <c>torch.autocast</c>; gradients reach the float32 parameters through the cast.
    /// The fast mode for bf16 training on a GPU.
    /// </summary>
    ActivationDtype,
}
