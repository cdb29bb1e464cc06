using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// VeRA on a Linear (PEFT's <c>vera.Linear</c>): h = Wx + b + Λ_b · B[:m] · (Λ_d · A[:, :n] · dropout(x)), with the
/// shared frozen A, B of <see cref="VeraProjections"/> and trainable d (r, starts at d_initial) and b (m, starts at 0).
/// </summary>
public sealed class VeraLinear : AdapterLayer
{
    private Parameter vera_lambda_b;
    private Parameter vera_lambda_d;
    private readonly double dropout;

    public VeraLinear(string modulePath, Linear baseLayer, VeraProjections projections, double dropout, double dInitial)
        : base(nameof(VeraLinear), modulePath, baseLayer)
    {
        if (projections.MaxIn < InFeatures || projections.MaxOut < OutFeatures)
            throw new ArgumentException($"'{modulePath}': shared VeRA projections ({projections.MaxOut}×r, r×{projections.MaxIn}) are smaller than the layer ({OutFeatures}×{InFeatures})");
        Projections = projections;
        this.dropout = dropout;
        vera_lambda_b = new Parameter(NewParameterValue(torch.zeros(OutFeatures)).DetachFromDisposeScope());
        vera_lambda_d = new Parameter(NewParameterValue(torch.full(projections.Rank, dInitial)).DetachFromDisposeScope());
        RegisterComponents();
    }

    public VeraProjections Projections { get; }

    public int Rank => Projections.Rank;

    /// <summary>b (m).</summary>
    public Parameter LambdaB => vera_lambda_b;

    /// <summary>d (r).</summary>
    public Parameter LambdaD => vera_lambda_d;

    public override long TrainableParameterCount => Rank + OutFeatures;

    /// <remarks>
    /// Λ_d and Λ_b are folded into the factors (Λ_d A is r×n, Λ_b B is m×r: tiny) so the activations see two GEMMs,
    /// the second fused with the residual sum, instead of two GEMMs and three element-wise passes.
    /// </remarks>
    protected override Tensor AddAdapter(Tensor x, Tensor result)
    {
        using var scope = torch.NewDisposeScope();
        var a = LambdaD.unsqueeze(-1) * Projections.SlicedA(InFeatures, LambdaD);
        var b = LambdaB.unsqueeze(-1) * Projections.SlicedB(OutFeatures, LambdaD);
        var xa = nn.functional.linear(Dropout(x, dropout), Cast(a, x));
        return AddLowRank(result, xa, Cast(b, x), 1.0).MoveToOuterDisposeScope();
    }

    public override Tensor DeltaWeight()
    {
        using var scope = torch.NewDisposeScope();
        var a = Projections.SlicedA(InFeatures, LambdaD);
        var b = Projections.SlicedB(OutFeatures, LambdaD);
        return (LambdaB.unsqueeze(-1) * b).matmul(LambdaD.unsqueeze(-1) * a).MoveToOuterDisposeScope();
    }

    public override IEnumerable<(string Name, Parameter Parameter)> AdapterParameters()
    {
        yield return ("vera_lambda_b", LambdaB);
        yield return ("vera_lambda_d", LambdaD);
    }

    internal override IEnumerable<(string Key, Tensor Value)> ExportTensors(bool compactFile)
    {
        yield return ("vera_lambda_b", LambdaB.detach());
        yield return ("vera_lambda_d", LambdaD.detach());
    }

    internal override void ImportTensors(Serialization.AdapterTensorReader reader)
    {
        using var scope = torch.NewDisposeScope();
        var b = reader.Read("vera_lambda_b", OutFeatures);
        var d = reader.Read("vera_lambda_d", Rank);
        using var _ = torch.no_grad();
        LambdaB.copy_(b);
        LambdaD.copy_(d);
    }
}
