using PartialLoRA.Adapters.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// AdaLoRA's SVD-form adapter on a Linear (PEFT's <c>adalora.SVDLinear</c>): ΔW = P Λ Q · α/(r₀ + 1e-5) with
/// P = lora_B (m×r), Λ = diag(lora_E) (r), Q = lora_A (r×n) and r₀ the initial rank (PEFT's <c>ranknum</c>).
/// The rank allocator zeroes entries of Λ to prune triplets. With a <see cref="RowColMask"/> it is
/// Partial-AdaLoRA: ΔW = (u_row ⊙ P) Λ (u_col ⊙ Q), in dense or compact storage (as <see cref="LoraLinear"/> and
/// <see cref="CompactLoraLinear"/>).
/// </summary>
public sealed class AdaLoraLinear : AdapterLayer
{
    private Parameter lora_A;
    private Parameter lora_B;
    private Parameter lora_E;
    private readonly DeviceCopy? rowMask;
    private readonly DeviceCopy? colMask;
    private readonly DeviceCopy? rows;
    private readonly DeviceCopy? cols;
    private readonly double dropout;

    /// <param name="rank">Rank of the stored factors (the initial rank, or the allocated rank of a loaded adapter).</param>
    /// <param name="initialRank">r₀ = PEFT's <c>ranknum</c>, which stays the initial rank.</param>
    public AdaLoraLinear(string modulePath, Linear baseLayer, int rank, int initialRank, double alpha, double dropout, Generator g,
        RowColMask? mask = null, MaskStorage storage = MaskStorage.Dense)
        : base(nameof(AdaLoraLinear), modulePath, baseLayer)
    {
        InitialRank = initialRank;
        Alpha = alpha;
        Mask = mask;
        Compact = mask != null && storage == MaskStorage.Compact;
        this.dropout = dropout;
        using var a = Init.Normal(rank, InFeatures, 0.02, g);
        using var b = Init.Normal(OutFeatures, rank, 0.02, g);
        if (mask != null)
        {
            if (mask.Rows != OutFeatures || mask.Cols != InFeatures)
                throw new ArgumentException($"'{modulePath}': masks are {mask.Rows}×{mask.Cols}, the weight is {OutFeatures}×{InFeatures}");
            using var r = torch.tensor(mask.RowKeep).to(ScalarType.Float32).reshape(OutFeatures, 1);
            using var c = torch.tensor(mask.ColKeep).to(ScalarType.Float32).reshape(1, InFeatures);
            rowMask = new DeviceCopy(r);
            colMask = new DeviceCopy(c);
            rows = new DeviceCopy(torch.tensor(mask.RowIndices));
            cols = new DeviceCopy(torch.tensor(mask.ColIndices));
        }
        using (torch.no_grad())
        {
            if (Compact)
            {
                lora_A = new Parameter(NewParameterValue(a.index_select(1, cols!.Cpu)).DetachFromDisposeScope());
                lora_B = new Parameter(NewParameterValue(b.index_select(0, rows!.Cpu)).DetachFromDisposeScope());
            }
            else
            {
                lora_A = new Parameter(NewParameterValue(mask == null ? a : a * colMask!.Cpu).DetachFromDisposeScope());
                lora_B = new Parameter(NewParameterValue(mask == null ? b : b * rowMask!.Cpu).DetachFromDisposeScope());
            }
            lora_E = new Parameter(NewParameterValue(torch.zeros(rank, 1)).DetachFromDisposeScope());
        }
        RegisterComponents();
    }

    /// <summary>Current number of triplets stored (InitR unless loaded from a rank-pruned save).</summary>
    public int Rank => (int)lora_E.shape[0];

    /// <summary>r₀, PEFT's ranknum.</summary>
    public int InitialRank { get; }

    public double Alpha { get; }

    public RowColMask? Mask { get; }

    public bool Compact { get; }

    /// <summary>Q: r×n (dense) or r×|cols| (compact).</summary>
    public Parameter A => lora_A;

    /// <summary>P: m×r (dense) or |rows|×r (compact).</summary>
    public Parameter B => lora_B;

    /// <summary>Λ: r×1.</summary>
    public Parameter E => lora_E;

    /// <summary>The rank pattern last applied by the allocator (true = triplet kept), or null before any allocation.</summary>
    public bool[]? RankPattern { get; internal set; }

    /// <summary>α/(r₀ + 1e-5) in float32, as PEFT computes scaling / ranknum.</summary>
    private double Scale => (Alpha > 0 ? Alpha : InitialRank) / (double)((float)InitialRank + 1e-5f);

    public override long TrainableParameterCount =>
        (long)Rank * ((Mask?.KeptRows ?? OutFeatures) + (Mask?.KeptCols ?? InFeatures)) + Rank;

    /// <summary>u_col ⊙ Q as a dense r×n matrix.</summary>
    public Tensor DenseA() => Compact
        ? torch.zeros(Rank, InFeatures, A.dtype, A.device).index_copy(1, cols!.Like(A), A)
        : colMask is { } c ? A * c.Like(A) : A.alias();

    /// <summary>u_row ⊙ P as a dense m×r matrix.</summary>
    public Tensor DenseB() => Compact
        ? torch.zeros(OutFeatures, Rank, B.dtype, B.device).index_copy(0, rows!.Like(B), B)
        : rowMask is { } r ? B * r.Like(B) : B.alias();

    /// <remarks>Compact factors are expanded as in <see cref="CompactLoraLinear"/>; then two GEMMs, the second fused with the sum.</remarks>
    protected override Tensor AddAdapter(Tensor x, Tensor result)
    {
        using var scope = torch.NewDisposeScope();
        var xa = nn.functional.linear(Dropout(x, dropout), Cast(DenseA() * E, x));
        return AddLowRank(result, xa, Cast(DenseB(), x), Scale).MoveToOuterDisposeScope();
    }

    public override Tensor DeltaWeight()
    {
        using var scope = torch.NewDisposeScope();
        return DenseB().matmul(DenseA() * E).mul_(Scale).MoveToOuterDisposeScope();
    }

    public override IEnumerable<(string Name, Parameter Parameter)> AdapterParameters()
    {
        yield return ("lora_A", A);
        yield return ("lora_B", B);
        yield return ("lora_E", E);
    }

    /// <summary>PEFT saves only the kept triplets once a rank pattern exists (<c>resize_state_dict_by_rank_pattern</c>).</summary>
    internal override IEnumerable<(string Key, Tensor Value)> ExportTensors(bool compactFile)
    {
        var a = compactFile && Compact ? A.detach() : DenseA().detach();
        var b = compactFile && Compact ? B.detach() : DenseB().detach();
        var e = E.detach();
        if (RankPattern is { } p && p.Count(k => k) != Rank)
        {
            var keep = torch.tensor(p.Select((k, i) => (k, i)).Where(t => t.k).Select(t => (long)t.i).ToArray(), device: a.device);
            a = a.index_select(0, keep);
            e = e.index_select(0, keep);
            b = b.index_select(1, keep);
        }
        yield return ("lora_A", a);
        yield return ("lora_B", b);
        yield return ("lora_E", e);
        if (Mask is { } m)
        {
            yield return (Serialization.AdapterKeys.RowMask, torch.tensor(m.RowKeep));
            yield return (Serialization.AdapterKeys.ColMask, torch.tensor(m.ColKeep));
        }
    }

    internal override void ImportTensors(Serialization.AdapterTensorReader reader)
    {
        using var scope = torch.NewDisposeScope();
        var e = reader.Read("lora_E", Rank, 1);
        if (reader.CompactFile && Compact)
        {
            var ac = reader.Read("lora_A", Rank, Mask!.KeptCols);
            var bc = reader.Read("lora_B", Mask.KeptRows, Rank);
            using var __ = torch.no_grad();
            A.copy_(ac);
            B.copy_(bc);
            E.copy_(e);
            return;
        }
        var a = reader.Read("lora_A", Rank, InFeatures);
        var b = reader.Read("lora_B", OutFeatures, Rank);
        if (Mask is { } m)
        {
            reader.RequireZeroOutsideMask("lora_A", a, torch.tensor(m.ColKeep).to(a.dtype).reshape(1, InFeatures));
            reader.RequireZeroOutsideMask("lora_B", b, torch.tensor(m.RowKeep).to(b.dtype).reshape(OutFeatures, 1));
        }
        using var _ = torch.no_grad();
        A.copy_(Compact ? a.index_select(1, cols!.Cpu) : a);
        B.copy_(Compact ? b.index_select(0, rows!.Cpu) : b);
        E.copy_(e);
    }
}
