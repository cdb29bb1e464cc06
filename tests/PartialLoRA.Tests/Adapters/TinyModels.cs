using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

/// <summary>
/// A tiny pre-norm transformer classifier whose module names follow HF (and the injection contract: every Linear
/// an adapter may wrap is a Module&lt;Tensor,Tensor&gt; field or ModuleList item). tools/parity/make_peft_fixtures.py
/// builds the same model in PyTorch: state_dict names and forward must stay identical to it.
/// </summary>
public sealed class TinyTransformer : nn.Module<Tensor, Tensor>
{
    public const int Dim = 16, Heads = 2, Ffn = 24, Classes = 5, Blocks = 2;

    private readonly ModuleList<Block> layers;
    private readonly LayerNorm norm;
    private nn.Module<Tensor, Tensor> classifier;

    public TinyTransformer(long seed) : base(nameof(TinyTransformer))
    {
        layers = new ModuleList<Block>(Enumerable.Range(0, Blocks).Select(_ => new Block()).ToArray());
        norm = nn.LayerNorm(Dim);
        classifier = nn.Linear(Dim, Classes);
        RegisterComponents();
        Kit.Reinitialize(this, seed);
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var b in layers) x = b.call(x);
        return classifier.call(norm.call(x).mean([1]));
    }

    public sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm1;
        private readonly Attention self_attn;
        private readonly LayerNorm norm2;
        private readonly Mlp mlp;

        public Block() : base(nameof(Block))
        {
            norm1 = nn.LayerNorm(Dim);
            self_attn = new Attention();
            norm2 = nn.LayerNorm(Dim);
            mlp = new Mlp();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = x + self_attn.call(norm1.call(x));
            return h + mlp.call(norm2.call(h));
        }
    }

    public sealed class Attention : nn.Module<Tensor, Tensor>
    {
        private nn.Module<Tensor, Tensor> q_proj, k_proj, v_proj, out_proj;

        public Attention() : base(nameof(Attention))
        {
            q_proj = nn.Linear(Dim, Dim);
            k_proj = nn.Linear(Dim, Dim);
            v_proj = nn.Linear(Dim, Dim);
            out_proj = nn.Linear(Dim, Dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var (b, t) = (x.shape[0], x.shape[1]);
            const int dh = Dim / Heads;
            Tensor Split(Tensor y) => y.view(b, t, Heads, dh).transpose(1, 2);
            var q = Split(q_proj.call(x));
            var k = Split(k_proj.call(x));
            var v = Split(v_proj.call(x));
            var att = q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(dh)).softmax(-1);
            return out_proj.call(att.matmul(v).transpose(1, 2).reshape(b, t, Dim));
        }
    }

    public sealed class Mlp : nn.Module<Tensor, Tensor>
    {
        private nn.Module<Tensor, Tensor> fc1, fc2;

        public Mlp() : base(nameof(Mlp))
        {
            fc1 = nn.Linear(Dim, Ffn);
            fc2 = nn.Linear(Ffn, Dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => fc2.call(nn.functional.gelu(fc1.call(x)));
    }

    /// <summary>All six projections of every block.</summary>
    public static string[] AllLinear => ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"];

    public static Tensor Input(long seed, int batch = 3, int tokens = 5) => TestSupport.Randn((ulong)seed, batch, tokens, Dim);
}

/// <summary>An MLP whose Linear layers sit directly in a ModuleList (replaced by index), plus a head.</summary>
public sealed class TinyMlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> layers;
    private nn.Module<Tensor, Tensor> head;

    public TinyMlp(long seed, int inDim = 6, int hidden = 10, int outDim = 3) : base(nameof(TinyMlp))
    {
        layers = new ModuleList<nn.Module<Tensor, Tensor>>(nn.Linear(inDim, hidden), nn.Linear(hidden, hidden));
        head = nn.Linear(hidden, outDim);
        RegisterComponents();
        Kit.Reinitialize(this, seed);
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var l in layers) x = nn.functional.relu(l.call(x));
        return head.call(x);
    }
}

/// <summary>Declares its Linear with the concrete type: adapters cannot be put in its place.</summary>
public sealed class ConcreteFieldModel : nn.Module<Tensor, Tensor>
{
    private readonly Linear proj;

    public ConcreteFieldModel() : base(nameof(ConcreteFieldModel))
    {
        proj = nn.Linear(4, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => proj.call(x);
}
