using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// An adapter wrapped around one pretrained Linear (PEFT's <c>BaseTunerLayer</c>): the frozen layer stays in the
/// field <c>base_layer</c> (state_dict <c>&lt;path&gt;.base_layer.weight</c>, as in PEFT) and the adapter adds its
/// residual to the layer's output. It can be disabled (output ≡ base layer) and merged into / unmerged from the
/// base weight.
/// </summary>
public abstract class AdapterLayer : nn.Module<Tensor, Tensor>
{
    protected readonly Linear base_layer;

    protected AdapterLayer(string name, string modulePath, Linear baseLayer) : base(name)
    {
        ModulePath = modulePath;
        base_layer = baseLayer;
    }

    /// <summary>The wrapped module's named_modules path in the model (e.g. <c>layers.0.self_attn.q_proj</c>).</summary>
    public string ModulePath { get; }

    public Linear BaseLayer => base_layer;

    /// <summary>n = in_features (columns of W).</summary>
    public int InFeatures => (int)base_layer.in_features;

    /// <summary>m = out_features (rows of W).</summary>
    public int OutFeatures => (int)base_layer.out_features;

    public bool Enabled { get; private set; } = true;

    public bool Merged { get; private set; }

    /// <summary>Disabling a merged adapter unmerges it first, as PEFT does, so the output is the base layer's.</summary>
    public void SetEnabled(bool enabled)
    {
        if (!enabled && Merged) Unmerge();
        Enabled = enabled;
    }

    /// <summary>Where the adapter computes on a half-precision base (default: in its own float32).</summary>
    public AdapterCompute Compute { get; set; } = AdapterCompute.AdapterDtype;

    public override Tensor forward(Tensor x)
    {
        if (!Enabled || Merged) return base_layer.call(x);
        return AdaptedForward(x);
    }

    /// <summary>The adapted layer's output; the default is the base layer's output plus <see cref="AddAdapter"/>.</summary>
    protected virtual Tensor AdaptedForward(Tensor x)
    {
        var result = base_layer.call(x);
        var adapterType = AdapterDtype;
        if (Compute == AdapterCompute.ActivationDtype || (x.dtype == adapterType && result.dtype == adapterType)) return AddAdapter(x, result);
        // Half-precision base, float32 adapter (as PEFT's autocast_adapter_dtype): compute the adapter in float32,
        // return the base layer's dtype.
        using var scope = torch.NewDisposeScope();
        return AddAdapter(x.to(adapterType), result.to(adapterType)).to(result.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The dtype of the adapter's own parameters.</summary>
    protected ScalarType AdapterDtype => AdapterParameters().First().Parameter.dtype;

    /// <summary>
    /// The base layer's output plus this adapter's residual for input <paramref name="x"/>. Implementations take
    /// their factors through <see cref="Cast"/> so that they also run in the activations' dtype
    /// (<see cref="AdapterCompute.ActivationDtype"/>).
    /// </summary>
    protected abstract Tensor AddAdapter(Tensor x, Tensor result);

    /// <summary><paramref name="factor"/> in <paramref name="like"/>'s dtype (differentiable; no copy when it already is).</summary>
    protected static Tensor Cast(Tensor factor, Tensor like) => factor.dtype == like.dtype ? factor : factor.to(like.dtype);

    /// <summary>
    /// result + scale · xa · bᵀ as one GEMM over the flattened tokens (addmm: the residual sum and the scaling are
    /// fused into the kernel instead of a matmul, a multiply and an add over the whole output).
    /// </summary>
    /// <param name="xa">(…, r): the input already multiplied by the (r×n) factor.</param>
    /// <param name="b">(m×r).</param>
    protected static Tensor AddLowRank(Tensor result, Tensor xa, Tensor b, double scale)
    {
        var shape = result.shape;
        var tokens = shape[..^1].Aggregate(1L, (p, d) => p * d); // explicit: a rank-0 factor makes -1 ambiguous
        var sum = torch.addmm(result.reshape(tokens, shape[^1]), xa.reshape(tokens, xa.shape[^1]), b.t(), beta: 1, alpha: (float)scale);
        return sum.view(shape);
    }

    /// <summary>
    /// The effective dense ΔW (m×n, scaling included, masks applied) such that the adapted layer computes
    /// (W + ΔW)x + b. Analysis code uses ‖ΔW‖ (App. C).
    /// </summary>
    public abstract Tensor DeltaWeight();

    /// <summary>Trainable entries of this adapter, counting only unmasked ones.</summary>
    public abstract long TrainableParameterCount { get; }

    /// <summary>The adapter's trainable parameters with their names relative to this layer (e.g. <c>lora_A.weight</c>).</summary>
    public abstract IEnumerable<(string Name, Parameter Parameter)> AdapterParameters();

    public void Merge()
    {
        if (Merged) throw new InvalidOperationException($"adapter at '{ModulePath}' is already merged");
        using (torch.no_grad()) MergeInto(base_layer.weight!);
        Merged = true;
    }

    public void Unmerge()
    {
        if (!Merged) throw new InvalidOperationException($"adapter at '{ModulePath}' is not merged");
        using (torch.no_grad()) UnmergeFrom(base_layer.weight!);
        Merged = false;
    }

    protected virtual void MergeInto(Parameter weight)
    {
        using var d = DeltaWeight();
        weight.add_(d.to(weight.dtype));
    }

    protected virtual void UnmergeFrom(Parameter weight)
    {
        using var d = DeltaWeight();
        weight.sub_(d.to(weight.dtype));
    }

    /// <summary>
    /// The adapter's tensors in PEFT's saved form (dense, masked, keys relative to the module path), or, with
    /// <paramref name="compactFile"/>, compact layers' factors as stored (not loadable by PEFT).
    /// </summary>
    internal abstract IEnumerable<(string Key, Tensor Value)> ExportTensors(bool compactFile);

    /// <summary>Loads the adapter's tensors from a saved adapter (the inverse of <see cref="ExportTensors"/>).</summary>
    internal abstract void ImportTensors(Serialization.AdapterTensorReader reader);

    protected Tensor Dropout(Tensor x, double p) => p > 0 && training ? nn.functional.dropout(x, p, true) : x;

    /// <summary>
    /// Adapter parameters live in float32 when the base weight is float16/bfloat16 (PEFT's default
    /// <c>autocast_adapter_dtype</c>), else in the base weight's dtype; always on its device.
    /// </summary>
    protected ScalarType AdapterCreationType =>
        base_layer.weight!.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : base_layer.weight!.dtype;

    protected Tensor NewParameterValue(Tensor cpu) => cpu.to(AdapterCreationType, base_layer.weight!.device);
}
