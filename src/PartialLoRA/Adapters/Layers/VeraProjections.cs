using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// VeRA's frozen random pair shared by every adapted layer, sized as PEFT does (<c>VeraModel._find_dim</c>): A is
/// r × (largest in_features) and B is (largest out_features) × r; a layer uses A[:, :n] and B[:m, :]. Drawn with
/// PEFT's <c>_kaiming_init</c> from a CPU generator seeded with the projection key, A first, which reproduces
/// PEFT's tensors (TorchSharp and PyTorch share libtorch's CPU generator).
/// </summary>
public sealed class VeraProjections : IDisposable
{
    private readonly DeviceCopy a;
    private readonly DeviceCopy b;

    internal VeraProjections(Tensor a, Tensor b)
    {
        if (a.ndim != 2 || b.ndim != 2 || a.shape[0] != b.shape[1])
            throw new ArgumentException($"VeRA projections: A [{string.Join(", ", a.shape)}] and B [{string.Join(", ", b.shape)}] must be r×n and m×r with the same r");
        this.a = new DeviceCopy(a);
        this.b = new DeviceCopy(b);
    }

    public static VeraProjections Create(int rank, int maxOut, int maxIn, long key)
    {
        using var g = new torch.Generator(unchecked((ulong)key));
        using var a = Init.KaimingUniformRelu(rank, maxIn, g);
        using var b = Init.KaimingUniformRelu(maxOut, rank, g);
        return new VeraProjections(a, b);
    }

    public int Rank => (int)a.Shape[0];
    public int MaxIn => (int)a.Shape[1];
    public int MaxOut => (int)b.Shape[0];

    /// <summary>The shared A (r × max n), on the CPU.</summary>
    public Tensor A => a.Cpu;

    /// <summary>The shared B (max m × r), on the CPU.</summary>
    public Tensor B => b.Cpu;

    internal Tensor SlicedA(int inFeatures, Tensor like) => a.Like(like).narrow(1, 0, inFeatures);

    internal Tensor SlicedB(int outFeatures, Tensor like) => b.Like(like).narrow(0, 0, outFeatures);

    public void Dispose()
    {
        a.Dispose();
        b.Dispose();
    }
}
