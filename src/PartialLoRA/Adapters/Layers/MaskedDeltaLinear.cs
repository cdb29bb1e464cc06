using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// Random element masking (Xu &amp; Zhang 2024): a trainable sparse ΔW on a fixed random subset of W's entries,
/// h = (W + ΔW)x + b with ΔW = scatter(values at positions). Only the k values are parameters; positions are
/// flat indices i·n + j, drawn without replacement and fixed. Values start at zero.
/// </summary>
public sealed class MaskedDeltaLinear : AdapterLayer
{
    private Parameter masking_values;
    private readonly DeviceCopy positions;

    public MaskedDeltaLinear(string modulePath, Linear baseLayer, long[] flatPositions)
        : base(nameof(MaskedDeltaLinear), modulePath, baseLayer)
    {
        var total = (long)OutFeatures * InFeatures;
        var seen = new HashSet<long>();
        foreach (var p in flatPositions)
        {
            if (p < 0 || p >= total) throw new ArgumentException($"'{modulePath}': masked position {p} is outside 0..{total - 1}");
            if (!seen.Add(p)) throw new ArgumentException($"'{modulePath}': masked position {p} is listed twice");
        }
        Positions = flatPositions.Order().ToArray();
        positions = new DeviceCopy(torch.tensor(Positions));
        masking_values = new Parameter(NewParameterValue(torch.zeros(Positions.Length)).DetachFromDisposeScope());
        RegisterComponents();
    }

    /// <summary>⌈density·m·n⌉ distinct positions drawn uniformly from the generator.</summary>
    public static long[] SamplePositions(int rows, int cols, double density, Generator g)
    {
        var total = (long)rows * cols;
        var k = (long)Math.Ceiling(density * total);
        using var perm = torch.randperm(total, generator: g);
        return perm.narrow(0, 0, k).data<long>().ToArray();
    }

    /// <summary>Flat positions i·n + j of the trainable entries, ascending.</summary>
    public long[] Positions { get; }

    public Parameter Values => masking_values;

    public override long TrainableParameterCount => Positions.Length;

    public override Tensor DeltaWeight()
    {
        using var scope = torch.NewDisposeScope();
        var flat = torch.zeros((long)OutFeatures * InFeatures, Values.dtype, Values.device).index_add(0, positions.Like(Values), Values, 1);
        return flat.view(OutFeatures, InFeatures).MoveToOuterDisposeScope();
    }

    protected override Tensor AddAdapter(Tensor x, Tensor result)
    {
        using var scope = torch.NewDisposeScope();
        return result.add(nn.functional.linear(x, Cast(DeltaWeight(), x))).MoveToOuterDisposeScope();
    }

    public override IEnumerable<(string Name, Parameter Parameter)> AdapterParameters()
    {
        yield return ("masking_values", Values);
    }

    internal override IEnumerable<(string Key, Tensor Value)> ExportTensors(bool compactFile)
    {
        yield return ("masking_values", Values.detach());
        yield return ("masking_positions", torch.tensor(Positions));
    }

    internal override void ImportTensors(Serialization.AdapterTensorReader reader)
    {
        using var scope = torch.NewDisposeScope();
        var v = reader.Read("masking_values", Positions.Length);
        using var _ = torch.no_grad();
        Values.copy_(v);
    }
}
