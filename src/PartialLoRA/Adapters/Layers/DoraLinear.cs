using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// DoRA (Liu et al. 2024) on a Linear, as PEFT's <c>DoraLinearLayer</c>: the adapted weight is
/// W' = m ⊙ (W + s·BA) / ‖W + s·BA‖_row with a trainable magnitude m (one per output row, initialised to the row
/// norms). The norm is treated as a constant in backpropagation (DoRA §4.3), so
/// h = Wx + b + (m/‖·‖ − 1) ⊙ Wx + (m/‖·‖) ⊙ s·B·A·dropout(x).
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

    protected override Tensor AddAdapter(Tensor x, Tensor result)
    {
        using var scope = torch.NewDisposeScope();
        var w = base_layer.weight!.to(x.dtype);
        var xd = Dropout(x, dropout);
        var lora = nn.functional.linear(nn.functional.linear(xd, A), B);
        var norm = WeightNorm(w, B.matmul(A).detach()).detach();
        var scale = (Magnitude / norm).view(1, -1);
        var baseResult = nn.functional.linear(xd, w);
        var dora = (scale - 1) * baseResult + scale * lora * Scaling;
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
