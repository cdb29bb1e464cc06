using PartialLoRA.Adapters.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// LoRA on a Linear (Eq. 1–2): h = Wx + b + s·B·A·dropout(x), s = α/r, A (r×n), B (m×r), PEFT's <c>lora.Linear</c>.
/// Optionally dense-masked: with a <see cref="Masks.RowColMask"/>, ΔW = s·(u_row ⊙ B)(u_col ⊙ A) exactly as Eq. 6
/// is written; with an <see cref="Masks.ElementMask"/>, ΔW = s·(M_B ⊙ B)(M_A ⊙ A). Masked entries are zero from
/// the start and, being multiplied by 0 in the forward pass, receive exactly zero gradient, so AdamW (with weight
/// decay) leaves them at zero.
/// </summary>
public sealed class LoraLinear : AdapterLayer
{
    private readonly AdapterWeight lora_A;
    private readonly AdapterWeight lora_B;
    private DeviceCopy? rowMask;
    private DeviceCopy? colMask;
    private DeviceCopy? maskA;
    private DeviceCopy? maskB;
    private readonly double dropout;

    public LoraLinear(string modulePath, Linear baseLayer, int rank, double scaling, double dropout, LoraInit init, Generator g,
        RowColMask? rowCol = null, ElementMask? element = null)
        : base(nameof(LoraLinear), modulePath, baseLayer)
    {
        if (rowCol != null && element != null) throw new ArgumentException($"'{modulePath}': give row/column masks or element masks, not both");
        Rank = rank;
        Scaling = scaling;
        this.dropout = dropout;
        var (a, b) = Init.Lora(init, OutFeatures, InFeatures, rank, g);
        lora_A = new AdapterWeight(NewParameterValue(a));
        lora_B = new AdapterWeight(NewParameterValue(b));
        a.Dispose();
        b.Dispose();
        RegisterComponents();
        if (rowCol != null) SetRowColMask(rowCol);
        if (element != null) SetElementMask(element);
    }

    public int Rank { get; }

    /// <summary>s = α/r (or α/√r with rsLoRA).</summary>
    public double Scaling { get; }

    /// <summary>A (r×n) as stored (masked entries are zero).</summary>
    public Parameter A => lora_A.Weight;

    /// <summary>B (m×r) as stored (masked entries are zero).</summary>
    public Parameter B => lora_B.Weight;

    public RowColMask? RowColMask { get; private set; }

    public ElementMask? ElementMask { get; private set; }

    public override long TrainableParameterCount =>
        RowColMask is { } rc ? (long)Rank * (rc.KeptRows + rc.KeptCols)
        : ElementMask is { } em ? em.KeptA + em.KeptB
        : (long)Rank * (OutFeatures + InFeatures);

    private void SetRowColMask(RowColMask mask)
    {
        if (mask.Rows != OutFeatures || mask.Cols != InFeatures)
            throw new ArgumentException($"'{ModulePath}': masks are {mask.Rows}×{mask.Cols}, the weight is {OutFeatures}×{InFeatures}");
        RowColMask = mask;
        using var r = torch.tensor(mask.RowKeep).to(ScalarType.Float32).reshape(OutFeatures, 1);
        using var c = torch.tensor(mask.ColKeep).to(ScalarType.Float32).reshape(1, InFeatures);
        rowMask = new DeviceCopy(r);
        colMask = new DeviceCopy(c);
        ZeroMasked();
    }

    /// <summary>Fixes element masks on A and B (LoRPA's pruned structure); masked entries are set to zero.</summary>
    public void SetElementMask(ElementMask mask)
    {
        if (RowColMask != null) throw new InvalidOperationException($"'{ModulePath}': already has row/column masks");
        if (mask.Rows != OutFeatures || mask.Cols != InFeatures || mask.Rank != Rank)
            throw new ArgumentException($"'{ModulePath}': element masks are for r={mask.Rank}, {mask.Rows}×{mask.Cols}; the adapter has r={Rank}, {OutFeatures}×{InFeatures}");
        ElementMask = mask;
        maskA?.Dispose();
        maskB?.Dispose();
        using var a = torch.tensor(mask.KeepA).to(ScalarType.Float32).reshape(Rank, InFeatures);
        using var b = torch.tensor(mask.KeepB).to(ScalarType.Float32).reshape(OutFeatures, Rank);
        maskA = new DeviceCopy(a);
        maskB = new DeviceCopy(b);
        ZeroMasked();
    }

    private void ZeroMasked()
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        A.mul_(MaskOfA(A)!);
        B.mul_(MaskOfB(B)!);
    }

    private Tensor? MaskOfA(Tensor like) => colMask?.Like(like) ?? maskA?.Like(like);

    private Tensor? MaskOfB(Tensor like) => rowMask?.Like(like) ?? maskB?.Like(like);

    /// <summary>u_col ⊙ A (or M_A ⊙ A): the factor as used in the forward pass.</summary>
    public Tensor EffectiveA() => MaskOfA(A) is { } m ? A * m : A.alias();

    /// <summary>u_row ⊙ B (or M_B ⊙ B).</summary>
    public Tensor EffectiveB() => MaskOfB(B) is { } m ? B * m : B.alias();

    protected override Tensor AddAdapter(Tensor x, Tensor result)
    {
        using var scope = torch.NewDisposeScope();
        var xa = nn.functional.linear(Dropout(x, dropout), Cast(EffectiveA(), x));
        return AddLowRank(result, xa, Cast(EffectiveB(), x), Scaling).MoveToOuterDisposeScope();
    }

    public override Tensor DeltaWeight()
    {
        using var scope = torch.NewDisposeScope();
        return EffectiveB().matmul(EffectiveA()).mul_(Scaling).MoveToOuterDisposeScope();
    }

    public override IEnumerable<(string Name, Parameter Parameter)> AdapterParameters()
    {
        yield return ("lora_A.weight", A);
        yield return ("lora_B.weight", B);
    }

    internal override IEnumerable<(string Key, Tensor Value)> ExportTensors(bool compactFile)
    {
        yield return ("lora_A.weight", EffectiveA().detach());
        yield return ("lora_B.weight", EffectiveB().detach());
        if (RowColMask is { } rc)
        {
            yield return (Serialization.AdapterKeys.RowMask, torch.tensor(rc.RowKeep));
            yield return (Serialization.AdapterKeys.ColMask, torch.tensor(rc.ColKeep));
        }
        if (ElementMask is { } em)
        {
            yield return (Serialization.AdapterKeys.MaskA, torch.tensor(em.KeepA).reshape(Rank, InFeatures));
            yield return (Serialization.AdapterKeys.MaskB, torch.tensor(em.KeepB).reshape(OutFeatures, Rank));
        }
    }

    internal override void ImportTensors(Serialization.AdapterTensorReader reader)
    {
        using var scope = torch.NewDisposeScope();
        var a = reader.Read("lora_A.weight", Rank, InFeatures);
        var b = reader.Read("lora_B.weight", OutFeatures, Rank);
        if (MaskOfA(a) is { } ma) reader.RequireZeroOutsideMask("lora_A.weight", a, ma);
        if (MaskOfB(b) is { } mb) reader.RequireZeroOutsideMask("lora_B.weight", b, mb);
        using var _ = torch.no_grad();
        A.copy_(a);
        B.copy_(b);
    }
}
