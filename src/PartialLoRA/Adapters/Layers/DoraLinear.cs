using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// DoRA (Liu et al. 2024) on a Linear, as PEFT's <c>DoraLinearLayer</c>: the adapted weight is
/// W' = m ⊙ (W + s·BA) / ‖W + s·BA‖_row with a trainable magnitude m (one per output row, initialised to the row
/// norms). The norm is treated as a constant in backpropagation (DoRA §4.3), so
/// h = Wx + b + (m/‖·‖ − 1) ⊙ Wx + (m/‖·‖) ⊙ s·B·A·dropout(x).
/// Memory: the norm is computed without autograd (no m×n tensor is kept for backward), and without active dropout
/// the forward pass is fused to g ⊙ (Wx + s·BAx) + b with g = m/‖·‖ (see <see cref="AdaptedForward"/>).
/// </summary>
public sealed class DoraLinear : AdapterLayer
{
    private readonly AdapterWeight lora_A;
    private readonly AdapterWeight lora_B;
    private Parameter lora_magnitude_vector;
    private readonly double dropout;
    private Tensor? mergedNorm;

    public DoraLinear(string modulePath, Linear baseLayer, int rank, double scaling, double dropout, LoraInit init, Generator g)
        : base(nameof(DoraLinear), modulePath, baseLayer)
    {
        Rank = rank;
        Scaling = scaling;
        this.dropout = dropout;
        var (a, b) = Init.Lora(init, OutFeatures, InFeatures, rank, g);
        lora_A = new AdapterWeight(NewParameterValue(a));
        lora_B = new AdapterWeight(NewParameterValue(b));
        a.Dispose();
        b.Dispose();
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
            lora_magnitude_vector = new Parameter(WeightNorm(baseLayer.weight!.to(A.dtype), B.matmul(A)).MoveToOuterDisposeScope().DetachFromDisposeScope());
        RegisterComponents();
    }

    public int Rank { get; }

    public double Scaling { get; }

    public Parameter A => lora_A.Weight;

    public Parameter B => lora_B.Weight;

    /// <summary>m (one entry per output row).</summary>
    public Parameter Magnitude => lora_magnitude_vector;

    public override long TrainableParameterCount => (long)Rank * (OutFeatures + InFeatures) + OutFeatures;

    /// <summary>‖W + s·BA‖ per row (PEFT's get_weight_norm, dim=1).</summary>
    private Tensor WeightNorm(Tensor weight, Tensor lora) =>
        torch.linalg.vector_norm(weight + lora * Scaling, 2, new long[] { 1 });

    /// <summary>‖W + s·BA‖ per row in the adapter's dtype, outside autograd (a constant, DoRA §4.3).</summary>
    private Tensor DetachedWeightNorm()
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return WeightNorm(base_layer.weight!.to(A.dtype), B.matmul(A)).MoveToOuterDisposeScope();
    }

    /// <remarks>
    /// Without active dropout the base output on the adapter's input is the base layer's own output, so the layer is
    /// y = g ⊙ (xWᵀ + s·xAᵀBᵀ) + b with g = m/‖W + s·BA‖ (PEFT computes xWᵀ twice and combines three full-size
    /// products). Written as y = v + v ⊙ (g − 1) with v = xWᵀ + b/g + s·xAᵀBᵀ: one GEMM with the bias b/g, the low-rank
    /// term added in place by addmm, and one addcmul — which keeps one activation-size tensor (v) for backward and
    /// applies g through g − 1, which a bf16 activation dtype represents far more precisely than g ≈ 1.
    /// </remarks>
    protected override Tensor AdaptedForward(Tensor x)
    {
        if (dropout > 0 && training) return base.AdaptedForward(x);
        using var scope = torch.NewDisposeScope();
        var xc = Compute == AdapterCompute.ActivationDtype ? x : x.to(AdapterDtype);
        var g = Magnitude / DetachedWeightNorm();
        var shape = (long[])x.shape.Clone();
        shape[^1] = OutFeatures;
        var x2 = xc.reshape(-1, InFeatures);
        var bias = base_layer.bias is { } b ? Cast(b.to(g.dtype) / g, xc) : null;
        var v = nn.functional.linear(x2, Cast(base_layer.weight!, xc), bias);
        v.addmm_(nn.functional.linear(x2, Cast(A, xc)), Cast(B, xc).t(), 1, (float)Scaling);
        var y = torch.addcmul(v, v, Cast(g - 1, xc), 1);
        return y.view(shape).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>PEFT's unfused form, used while dropout is active (the base term then sees the dropped input).</summary>
    protected override Tensor AddAdapter(Tensor x, Tensor result)
    {
        using var scope = torch.NewDisposeScope();
        var xd = Dropout(x, dropout);
        var lora = nn.functional.linear(nn.functional.linear(xd, Cast(A, x)), Cast(B, x));
        var g = Magnitude / DetachedWeightNorm();
        var gm1 = Cast((g - 1).view(1, -1), x);
        var baseResult = nn.functional.linear(xd, Cast(base_layer.weight!, x));
        var dora = gm1 * baseResult + Cast(g.view(1, -1), x) * lora * Scaling;
        return (result + dora).MoveToOuterDisposeScope();
    }

    public override Tensor DeltaWeight()
    {
        using var scope = torch.NewDisposeScope();
        var w = base_layer.weight!.detach().to(A.dtype);
        var delta = B.matmul(A) * Scaling;
        if (Merged)
        {
            // W holds m/‖W0 + ΔW‖ ⊙ (W0 + ΔW); recover W0 with the norm cached at merge time.
            var factor = (Magnitude / mergedNorm!).view(-1, 1);
            var w0 = w / factor - delta;
            return (w - w0).MoveToOuterDisposeScope();
        }
        var norm = WeightNorm(w, B.matmul(A)).view(-1, 1);
        return ((Magnitude.view(-1, 1) / norm) * (w + delta) - w).MoveToOuterDisposeScope();
    }

    protected override void MergeInto(Parameter weight)
    {
        using var scope = torch.NewDisposeScope();
        var w = weight.to(A.dtype);
        var delta = B.matmul(A) * Scaling;
        var norm = torch.linalg.vector_norm(w + delta, 2, new long[] { 1 }).detach();
        mergedNorm?.Dispose();
        mergedNorm = norm.MoveToOuterDisposeScope().DetachFromDisposeScope();
        var factor = (Magnitude / norm).view(-1, 1);
        weight.copy_(factor * (w + delta));
    }

    protected override void UnmergeFrom(Parameter weight)
    {
        using var scope = torch.NewDisposeScope();
        var delta = B.matmul(A) * Scaling;
        var factor = (Magnitude / mergedNorm!).view(-1, 1);
        weight.copy_(weight.to(A.dtype) / factor - delta);
        mergedNorm!.Dispose();
        mergedNorm = null;
    }

    public override IEnumerable<(string Name, Parameter Parameter)> AdapterParameters()
    {
        yield return ("lora_A.weight", A);
        yield return ("lora_B.weight", B);
        yield return ("lora_magnitude_vector", Magnitude);
    }

    internal override IEnumerable<(string Key, Tensor Value)> ExportTensors(bool compactFile)
    {
        yield return ("lora_A.weight", A.detach());
        yield return ("lora_B.weight", B.detach());
        yield return ("lora_magnitude_vector", Magnitude.detach());
    }

    internal override void ImportTensors(Serialization.AdapterTensorReader reader)
    {
        using var scope = torch.NewDisposeScope();
        var a = reader.Read("lora_A.weight", Rank, InFeatures);
        var b = reader.Read("lora_B.weight", OutFeatures, Rank);
        var m = reader.Read("lora_magnitude_vector", OutFeatures);
        using var _ = torch.no_grad();
        A.copy_(a);
        B.copy_(b);
        Magnitude.copy_(m);
    }
}
