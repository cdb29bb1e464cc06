using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>DebertaV2Layer</c>, post-LN as BERT: attention (<c>attention.self</c> = disentangled attention,
/// <c>attention.output</c> = dense + dropout + LayerNorm(x + residual)), then <c>intermediate.dense</c> + GELU and
/// <c>output</c> = dense + dropout + LayerNorm(x + residual).
/// </summary>
public sealed class DebertaV2Layer : nn.Module
{
    public DebertaV2Attention attention;
    public DebertaV2Intermediate intermediate;
    public DebertaV2Output output;

    public DebertaV2Layer(DebertaV2Config c) : base(nameof(DebertaV2Layer))
    {
        attention = new DebertaV2Attention(c);
        intermediate = new DebertaV2Intermediate(c);
        output = new DebertaV2Output(c, c.IntermediateSize);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor allowed, Tensor? relativePos, Tensor? relEmbeddings)
    {
        using var scope = torch.NewDisposeScope();
        var a = attention.Forward(hidden, allowed, relativePos, relEmbeddings);
        return output.Forward(intermediate.call(a), a).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        attention.InitWeights(g);
        intermediate.InitWeights(g);
        output.InitWeights(g);
    }
}

/// <summary>HF <c>DebertaV2Attention</c>: <c>self</c> (disentangled attention) and <c>output</c> (<see cref="DebertaV2Output"/>).</summary>
public sealed class DebertaV2Attention : nn.Module
{
    public DisentangledSelfAttention self;
    public DebertaV2Output output;

    public DebertaV2Attention(DebertaV2Config c) : base(nameof(DebertaV2Attention))
    {
        self = new DisentangledSelfAttention(c);
        output = new DebertaV2Output(c, c.AllHeadSize);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor allowed, Tensor? relativePos, Tensor? relEmbeddings)
    {
        using var scope = torch.NewDisposeScope();
        return output.Forward(self.Forward(hidden, allowed, relativePos, relEmbeddings), hidden).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        self.InitWeights(g);
        output.InitWeights(g);
    }
}

/// <summary>HF <c>DebertaV2Intermediate</c>: dense to intermediate_size, then the activation.</summary>
public sealed class DebertaV2Intermediate : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> dense;
    private readonly Func<Tensor, Tensor> act;
    private readonly double std;

    public DebertaV2Intermediate(DebertaV2Config c) : base(nameof(DebertaV2Intermediate))
    {
        dense = nn.Linear(c.HiddenSize, c.IntermediateSize);
        act = Activations.Get(c.HiddenAct);
        std = c.InitializerRange;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return act(dense.call(x)).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g) => HfInit.Linear(dense, std, g);
}

/// <summary>HF <c>DebertaV2SelfOutput</c> / <c>DebertaV2Output</c> (same shape): LayerNorm(dropout(dense(x)) + residual).</summary>
public sealed class DebertaV2Output : nn.Module
{
    public nn.Module<Tensor, Tensor> dense;
    public LayerNorm LayerNorm;
    private readonly double dropout;
    private readonly double std;

    public DebertaV2Output(DebertaV2Config c, int inFeatures) : base(nameof(DebertaV2Output))
    {
        dense = nn.Linear(inFeatures, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        dropout = c.HiddenDropoutProb;
        std = c.InitializerRange;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor residual)
    {
        using var scope = torch.NewDisposeScope();
        var h = nn.functional.dropout(dense.call(x), dropout, training);
        return LayerNorm.call(h + residual).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        HfInit.Linear(dense, std, g);
        HfInit.LayerNorm(LayerNorm);
    }
}
