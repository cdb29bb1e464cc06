using PartialLoRA.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Importance;

/// <summary>One block of <see cref="BlockMlp"/>: h → act(fc(h)).</summary>
public sealed class MlpBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> fc;
    private readonly bool relu;

    public MlpBlock(Linear fc, bool relu) : base(nameof(MlpBlock))
    {
        this.fc = fc;
        this.relu = relu;
        RegisterComponents();
    }

    public override Tensor forward(Tensor h) => relu ? nn.functional.relu(fc.call(h)) : fc.call(h);
}

/// <summary>
/// A tiny classifier that follows the model contract: embed = identity, blocks <c>layers.i.fc</c> (Linear + ReLU,
/// the last block optionally linear), head <c>classifier</c>.
/// </summary>
public sealed class BlockMlp : nn.Module<Tensor, Tensor>, IBlockwiseClassifier
{
    private readonly ModuleList<MlpBlock> layers;
    private readonly nn.Module<Tensor, Tensor> classifier;

    public BlockMlp(IReadOnlyList<Linear> blocks, Linear head, bool reluLast = true) : base(nameof(BlockMlp))
    {
        layers = nn.ModuleList(blocks.Select((l, i) => new MlpBlock(l, reluLast || i < blocks.Count - 1)).ToArray());
        classifier = head;
        NumClasses = (int)head.out_features;
        RegisterComponents();
    }

    /// <summary>Random layers of the given widths (dims[0] = inputs, last = classes), seeded.</summary>
    public static BlockMlp Random(int[] dims, long seed)
    {
        using var gen = new torch.Generator((ulong)seed);
        Linear Make(int i, int o)
        {
            var l = nn.Linear(i, o);
            using var noGrad = torch.no_grad();
            l.weight!.copy_(torch.randn(o, i, generator: gen) / Math.Sqrt(i));
            l.bias!.copy_(torch.randn(o, generator: gen) * 0.1);
            return l;
        }
        var blocks = Enumerable.Range(0, dims.Length - 2).Select(i => Make(dims[i], dims[i + 1])).ToList();
        return new BlockMlp(blocks, Make(dims[^2], dims[^1]));
    }

    /// <summary>
    /// Like <see cref="Random"/>, but with graded rows and columns as in pretrained weights: W_ij = g_ij·s_i·c_j with
    /// s, c = exp(−4u), u uniform, so many rows and columns matter little and Algorithm 1 can remove them.
    /// </summary>
    public static BlockMlp Graded(int[] dims, long seed)
    {
        var model = Random(dims, seed);
        using var gen = new torch.Generator((ulong)seed + 7919);
        using var noGrad = torch.no_grad();
        foreach (var (_, p) in model.named_parameters().Where(p => p.name.EndsWith("weight")))
        {
            var s = (torch.rand(p.shape[0], generator: gen) * -4).exp();
            var c = (torch.rand(p.shape[1], generator: gen) * -4).exp();
            p.mul_(s.unsqueeze(1) * c.unsqueeze(0) * 4);
        }
        return model;
    }

    public nn.Module Module => this;
    public int NumClasses { get; }
    public int BlockCount => layers.Count;

    public Tensor Logits(Tensor inputs, Tensor? attentionMask = null) => call(inputs);

    public override Tensor forward(Tensor x)
    {
        var h = x;
        foreach (var b in layers) h = b.call(h);
        return classifier.call(h);
    }

    public Tensor Embed(Tensor inputs, Tensor? attentionMask = null) => inputs;
    public Tensor Block(int index, Tensor hidden, Tensor? attentionMask = null) => layers[index].call(hidden);
    public Tensor Head(Tensor hidden, Tensor? attentionMask = null) => classifier.call(hidden);

    public int? BlockIndexOf(string modulePath) =>
        modulePath.StartsWith("layers.", StringComparison.Ordinal) ? int.Parse(modulePath.Split('.')[1]) : null;
}

/// <summary>
/// A plain classifier (no blocks) over the same modules, to check the full-Logits path of Algorithm 1.
/// </summary>
public sealed class PlainClassifier(BlockMlp inner) : IClassifier
{
    public nn.Module Module => inner;
    public int NumClasses => inner.NumClasses;
    public Tensor Logits(Tensor inputs, Tensor? attentionMask = null) => inner.Logits(inputs);
}

/// <summary>
/// A constructed task whose answer is known: of <c>n</c> input features only the first <c>k</c> carry the class
/// (class c ⇔ feature c is large); the rest are unit noise. The model <c>layers.0.fc</c> (n → 4k, ReLU) reads
/// feature c with weight ≈1 into four hidden units per class and the noise features with weights ~0.01;
/// <c>classifier</c> averages each class's four units. Removing any signal feature loses its whole class.
/// </summary>
public static class SignalTask
{
    public static (BlockMlp Model, Tensor Inputs, Tensor Labels) Build(int n, int k, int samplesPerClass, long seed)
    {
        using var gen = new torch.Generator((ulong)seed);
        var hidden = 4 * k;
        var w1 = torch.randn(hidden, n, generator: gen) * 0.01;
        var head = torch.zeros(k, hidden);
        for (var u = 0; u < hidden; u++)
        {
            w1[u, u % k] = 1.0 + 0.1 * torch.rand(1, generator: gen).item<float>();
            head[u % k, u] = 0.25; // logits ≈ x: confident enough to be right, not so much that gradients vanish
        }
        var fc = nn.Linear(n, hidden);
        var classifier = nn.Linear(hidden, k);
        using (torch.no_grad())
        {
            fc.weight!.copy_(w1);
            fc.bias!.zero_();
            classifier.weight!.copy_(head);
            classifier.bias!.zero_();
        }
        var labels = torch.arange(k, dtype: ScalarType.Int64).repeat_interleave(samplesPerClass);
        var x = torch.randn(labels.shape[0], n, generator: gen);
        x.narrow(1, 0, k).mul_(0.3);
        x.narrow(1, 0, k).add_(nn.functional.one_hot(labels, k).to(ScalarType.Float32) * 2.0);
        return (new BlockMlp([fc], classifier), x, labels);
    }
}
