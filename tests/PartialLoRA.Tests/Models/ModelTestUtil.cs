using PartialLoRA.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Models;

/// <summary>Helpers shared by the model tests.</summary>
internal static class ModelTestUtil
{
    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        using var d = (a.to(ScalarType.Float32) - b.to(ScalarType.Float32)).abs().max();
        return d.item<float>();
    }

    public static void AssertClose(Tensor expected, Tensor actual, double tol, string what)
    {
        var diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= tol, $"{what}: max |diff| = {diff:G4} > {tol:G4}");
    }

    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static Tensor Ids(long[,] values) => torch.tensor(values);

    public static Tensor RandomIds(long batch, long length, long vocab, long seed)
    {
        using var g = new Generator((ulong)seed);
        return torch.randint(0, vocab, [batch, length], ScalarType.Int64, generator: g);
    }

    public static Tensor RandomImages(long batch, int channels, int size, long seed) => TestSupport.Randn((ulong)seed, batch, channels, size, size);

    /// <summary>Head(Block(B-1, … Block(0, Embed(x)))) computed step by step.</summary>
    public static Tensor Blockwise(IBlockwiseClassifier m, Tensor x, Tensor? mask)
    {
        var h = m.Embed(x, mask);
        for (int i = 0; i < m.BlockCount; i++) h = m.Block(i, h, mask);
        return m.Head(h, mask);
    }

    public static HashSet<string> StateKeys(nn.Module m) => m.state_dict().Keys.ToHashSet();
    public static HashSet<string> ModuleNames(nn.Module m) => m.named_modules().Select(x => x.name).ToHashSet();
}
