using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Benchmarks;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter; PyTorch's <c>torch.optim.AdamW</c> update) over ONE flat buffer: every parameter
/// is re-pointed (<c>set_</c>) at a slice of a single contiguous tensor and its gradient pre-set to a slice of a
/// single gradient tensor, so zeroing the gradients and the whole update are a handful of kernels however many
/// tensors there are. TorchSharp's AdamW loops over the parameters (≈ 9 kernels each; a PEFT model has hundreds of
/// small factors), which on a GPU costs more launches than the model's own forward pass. PyTorch's default
/// multi-tensor (<c>foreach</c>) AdamW batches the same way.
/// <para>
/// Half-precision parameters (bf16/f16 full fine-tuning) get float32 master weights: the moments and the update
/// live in f32 and the half-precision values are refreshed from the master after each step.
/// </para>
/// The <see cref="Parameter"/> objects stay the ones their modules hold (state_dict, adapters' accessors and
/// saving are unaffected); do not move the model (<c>module.to</c>) after construction, which would replace them.
/// </summary>
public sealed class FlatAdamW : IDisposable
{
    private readonly Tensor flat;
    private readonly Tensor flatGrad;
    private readonly Tensor? master;
    private readonly Tensor expAvg;
    private readonly Tensor expAvgSq;
    private readonly Tensor oneMinusBeta1;
    private readonly double beta1;
    private readonly double beta2;
    private readonly double eps;
    private readonly double weightDecay;

    /// <param name="parameters">Trainable tensors, all of one dtype and device.</param>
    public FlatAdamW(IReadOnlyList<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2)
    {
        if (parameters.Count == 0) throw new ArgumentException("FlatAdamW: no parameters to optimise");
        if (!(lr >= 0)) throw new ArgumentException($"FlatAdamW: learning rate must be ≥ 0, got {lr}");
        if (!(beta1 is >= 0 and < 1) || !(beta2 is >= 0 and < 1)) throw new ArgumentException($"FlatAdamW: betas must lie in [0, 1), got ({beta1}, {beta2})");
        if (!(eps >= 0) || !(weightDecay >= 0)) throw new ArgumentException($"FlatAdamW: eps ({eps}) and weight decay ({weightDecay}) must be ≥ 0");
        var first = parameters[0];
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (!p.requires_grad) throw new ArgumentException($"FlatAdamW: parameter {i} {Shape(p)} does not require grad");
            if (p.dtype != first.dtype || p.device_type != first.device_type || p.device_index != first.device_index)
                throw new ArgumentException($"FlatAdamW: parameter {i} {Shape(p)} is {p.dtype} on {p.device}, parameter 0 is {first.dtype} on {first.device}; " +
                                            "all parameters must share one dtype and device (e.g. keep a trained head in the adapters' float32)");
            if (parameters.Take(i).Any(q => ReferenceEquals(q, p) || q.Handle == p.Handle))
                throw new ArgumentException($"FlatAdamW: parameter {i} {Shape(p)} is listed twice");
        }
        LearningRate = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        Count = parameters.Sum(p => p.numel());
        var device = first.device;
        flat = torch.empty(Count, first.dtype, device).DetachFromDisposeScope();
        flatGrad = torch.zeros(Count, first.dtype, device).DetachFromDisposeScope();
        using (torch.no_grad())
        {
            long offset = 0;
            foreach (var p in parameters)
            {
                var n = p.numel();
                using var slice = flat.narrow(0, offset, n).view(p.shape);
                slice.copy_(p);
                p.set_(slice);
                using var grad = flatGrad.narrow(0, offset, n).view(p.shape);
                p.grad = grad;
                offset += n;
            }
        }
        if (first.dtype is ScalarType.BFloat16 or ScalarType.Float16)
            master = flat.to(ScalarType.Float32).DetachFromDisposeScope();
        expAvg = torch.zeros(Count, ScalarType.Float32, device).DetachFromDisposeScope();
        expAvgSq = torch.zeros(Count, ScalarType.Float32, device).DetachFromDisposeScope();
        oneMinusBeta1 = torch.tensor(1 - beta1, ScalarType.Float32, device).DetachFromDisposeScope();
    }

    /// <summary>Elements under optimisation.</summary>
    public long Count { get; }

    public double LearningRate { get; set; }

    /// <summary>Steps taken (kept on the host: the bias corrections need no device read).</summary>
    public long Steps { get; private set; }

    /// <summary>Bytes of optimizer state: the two float32 moments.</summary>
    public long MomentBytes => 2 * 4 * Count;

    /// <summary>Bytes of float32 master weights (half-precision parameters only, else 0).</summary>
    public long MasterBytes => master is null ? 0 : 4 * Count;

    /// <summary>All gradients as one flat tensor (the parameters' .grad are views into it).</summary>
    public Tensor FlatGradient => flatGrad;

    /// <summary>Zeroes every gradient (one kernel; the parameters' gradients stay views of the flat buffer).</summary>
    public void ZeroGrad() => flatGrad.zero_();

    /// <summary>One AdamW update: θ ← θ(1 − lr·λ) − lr/(1 − β1ᵗ) · m / (√(v/(1 − β2ᵗ)) + ε).</summary>
    public void Step()
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Steps++;
        var p = master ?? flat;
        var g = master is null ? flatGrad : flatGrad.to(ScalarType.Float32);
        var bc1 = 1 - Math.Pow(beta1, Steps);
        var bc2 = 1 - Math.Pow(beta2, Steps);
        if (weightDecay != 0) p.mul_(1 - LearningRate * weightDecay);
        expAvg.lerp_(g, oneMinusBeta1);
        expAvgSq.mul_(beta2).addcmul_(g, g, 1 - beta2);
        var denom = expAvgSq.sqrt().div_(Math.Sqrt(bc2)).add_(eps);
        p.addcdiv_(expAvg, denom, -LearningRate / bc1);
        if (master is not null) flat.copy_(master);
    }

    private static string Shape(Tensor t) => "[" + string.Join(",", t.shape) + "]";

    public void Dispose()
    {
        flat.Dispose();
        flatGrad.Dispose();
        master?.Dispose();
        expAvg.Dispose();
        expAvgSq.Dispose();
        oneMinusBeta1.Dispose();
    }
}
