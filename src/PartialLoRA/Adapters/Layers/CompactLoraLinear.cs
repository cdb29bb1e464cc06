using PartialLoRA.Adapters.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// Row/column-masked LoRA in compact storage (beyond the paper): masked rows of B and columns of A are not stored.
/// The adapter holds B_active (|rows|×r) and A_active (r×|cols|), gathers the active input features and scatters
/// the result into the active output features:
/// h = Wx + b + scatter_rows(s · B_active · A_active · x[cols]), which equals (u_row ⊙ B)(u_col ⊙ A)x of Eq. 6.
/// Parameters, gradients, optimizer state and saved files shrink with the sparsity. Saved in PEFT's dense form.
/// </summary>
public sealed class CompactLoraLinear : AdapterLayer
{
    private readonly AdapterWeight lora_A;
    private readonly AdapterWeight lora_B;
    private readonly DeviceCopy rows;
    private readonly DeviceCopy cols;
    private readonly double dropout;

    /// <remarks>
    /// A full A and B are drawn exactly as for <see cref="LoraLinear"/> from the same generator and their active
    /// parts kept, so both forms start from identical values for the same seed.
    /// </remarks>
    public CompactLoraLinear(string modulePath, Linear baseLayer, int rank, double scaling, double dropout, LoraInit init,
        Generator g, RowColMask mask)
        : base(nameof(CompactLoraLinear), modulePath, baseLayer)
    {
        if (mask.Rows != OutFeatures || mask.Cols != InFeatures)
            throw new ArgumentException($"'{modulePath}': masks are {mask.Rows}×{mask.Cols}, the weight is {OutFeatures}×{InFeatures}");
        Rank = rank;
        Scaling = scaling;
        Mask = mask;
        this.dropout = dropout;
        rows = new DeviceCopy(torch.tensor(mask.RowIndices));
        cols = new DeviceCopy(torch.tensor(mask.ColIndices));
        var (a, b) = Init.Lora(init, OutFeatures, InFeatures, rank, g);
        using (var aActive = a.index_select(1, cols.Cpu))
        using (var bActive = b.index_select(0, rows.Cpu))
        {
            lora_A = new AdapterWeight(NewParameterValue(aActive));
            lora_B = new AdapterWeight(NewParameterValue(bActive));
        }
        a.Dispose();
        b.Dispose();
        RegisterComponents();
    }

    public int Rank { get; }

    public double Scaling { get; }

    public RowColMask Mask { get; }

    /// <summary>A_active (r×|cols|).</summary>
    public Parameter A => lora_A.Weight;

    /// <summary>B_active (|rows|×r).</summary>
    public Parameter B => lora_B.Weight;

    public override long TrainableParameterCount => (long)Rank * (Mask.KeptRows + Mask.KeptCols);

    /// <remarks>
    /// The compact factors are expanded (index_copy into zeros, r×n and m×r: tiny) and the input goes through the
    /// same fused GEMMs as plain LoRA. Gathering the active input columns and scattering into the active output rows
    /// (index_select / index_add over the activations) moves about twice the memory the GEMMs read, and the
    /// low-rank GEMMs are memory-bound. The compact factors receive their gradients through index_copy's backward
    /// (a gather of the active rows/columns); parameters and optimizer state stay compact.
    /// </remarks>
    protected override Tensor AddAdapter(Tensor x, Tensor result)
    {
        using var scope = torch.NewDisposeScope();
        var xa = nn.functional.linear(Dropout(x, dropout), Dense(A, 1, cols, InFeatures, x));
        return AddLowRank(result, xa, Dense(B, 0, rows, OutFeatures, x), Scaling).MoveToOuterDisposeScope();
    }

    // The compact factor scattered along dim into zeros of the full size, in like's dtype.
    private static Tensor Dense(Tensor compact, int dim, DeviceCopy index, int full, Tensor like)
    {
        var shape = (long[])compact.shape.Clone();
        shape[dim] = full;
        return torch.zeros(shape, like.dtype, compact.device).index_copy(dim, index.Like(compact), Cast(compact, like));
    }

    /// <summary>u_row ⊙ B as a dense m×r matrix (zeros in masked rows).</summary>
    public Tensor DenseB() => Dense(B, 0, rows, OutFeatures, B);

    /// <summary>u_col ⊙ A as a dense r×n matrix (zeros in masked columns).</summary>
    public Tensor DenseA() => Dense(A, 1, cols, InFeatures, A);

    public override Tensor DeltaWeight()
    {
        using var scope = torch.NewDisposeScope();
        return DenseB().matmul(DenseA()).mul_(Scaling).MoveToOuterDisposeScope();
    }

    public override IEnumerable<(string Name, Parameter Parameter)> AdapterParameters()
    {
        yield return ("lora_A.weight", A);
        yield return ("lora_B.weight", B);
    }

    internal override IEnumerable<(string Key, Tensor Value)> ExportTensors(bool compactFile)
    {
        yield return ("lora_A.weight", compactFile ? A.detach() : DenseA().detach());
        yield return ("lora_B.weight", compactFile ? B.detach() : DenseB().detach());
        yield return (Serialization.AdapterKeys.RowMask, torch.tensor(Mask.RowKeep));
        yield return (Serialization.AdapterKeys.ColMask, torch.tensor(Mask.ColKeep));
    }

    internal override void ImportTensors(Serialization.AdapterTensorReader reader)
    {
        using var scope = torch.NewDisposeScope();
        if (reader.CompactFile)
        {
            var ac = reader.Read("lora_A.weight", Rank, Mask.KeptCols);
            var bc = reader.Read("lora_B.weight", Mask.KeptRows, Rank);
            using var __ = torch.no_grad();
            A.copy_(ac);
            B.copy_(bc);
            return;
        }
        var a = reader.Read("lora_A.weight", Rank, InFeatures);
        var b = reader.Read("lora_B.weight", OutFeatures, Rank);
        reader.RequireZeroOutsideMask("lora_A.weight", a, torch.tensor(Mask.ColKeep).to(a.dtype).reshape(1, InFeatures));
        reader.RequireZeroOutsideMask("lora_B.weight", b, torch.tensor(Mask.RowKeep).to(b.dtype).reshape(OutFeatures, 1));
        using var _ = torch.no_grad();
        A.copy_(a.index_select(1, cols.Cpu));
        B.copy_(b.index_select(0, rows.Cpu));
    }
}
