using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>DebertaV2ForMaskedLM</c>: <c>deberta</c> plus the MLM head, whose decoder is tied to the word embeddings
/// (no separate tensor). With <c>legacy</c> (HF's default) the head is <c>cls.predictions.transform.{dense,LayerNorm}</c>
/// + <c>cls.predictions.bias</c>; otherwise <c>lm_predictions.lm_head.{dense,LayerNorm,bias}</c>. Logits are
/// LayerNorm(act(dense(h))) · Eᵀ + bias, shape (N, T, vocab).
/// </summary>
public sealed class DebertaV2ForMaskedLM : nn.Module, IHfModel
{
    public DebertaV2Model deberta;
    public LegacyMlmHead? cls;
    public MlmHead? lm_predictions;

    public DebertaV2Config Config { get; }

    public DebertaV2ForMaskedLM(DebertaV2Config c, long seed = 0) : base(nameof(DebertaV2ForMaskedLM))
    {
        c.Validate("DeBERTa config");
        Config = c;
        deberta = new DebertaV2Model(c);
        if (c.Legacy) cls = new LegacyMlmHead(c);
        else lm_predictions = new MlmHead(c);
        RegisterComponents();
        InitWeights(seed);
    }

    public void InitWeights(long seed)
    {
        using var g = new Generator((ulong)seed);
        deberta.InitWeights(g);
        cls?.InitWeights(g);
        lm_predictions?.InitWeights(g);
    }

    public nn.Module Module => this;
    public string ModelType => DebertaV2Config.ModelType;
    public JsonObject ConfigJson() => Config.ToJson("DebertaV2ForMaskedLM");

    public HfLoadPolicy LoadPolicy => DebertaLoadPolicy.For(Config) with
    {
        // the decoder is the word embedding matrix; HF may also save the tied copies
        IgnoredNames = [.. DebertaLoadPolicy.For(Config).IgnoredNames, "cls.predictions.decoder.weight", "cls.predictions.decoder.bias", "lm_predictions.lm_head.weight"],
        OtherHeadPrefixes = ["pooler.", "classifier.", "mask_predictions.", Config.Legacy ? "lm_predictions." : "cls."],
        Aliases = new Dictionary<string, string> { ["cls.predictions.bias"] = "cls.predictions.decoder.bias" },
    };

    /// <returns>(N, T, vocab_size) logits.</returns>
    public Tensor Forward(Tensor ids, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var h = deberta.Forward(ids, attentionMask);
        var e = deberta.embeddings.word_embeddings.weight!;
        var logits = cls is not null ? cls.predictions.Forward(h, e) : lm_predictions!.lm_head.Forward(h, e);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Masked-LM cross entropy over positions whose label is not -100 (HF's convention).</summary>
    public Tensor Loss(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.view(-1), ignore_index: -100);
}

/// <summary>HF <c>LegacyDebertaV2OnlyMLMHead</c>: <c>predictions</c>.</summary>
public sealed class LegacyMlmHead : nn.Module
{
    public LegacyMlmPrediction predictions;

    public LegacyMlmHead(DebertaV2Config c) : base(nameof(LegacyMlmHead))
    {
        predictions = new LegacyMlmPrediction(c);
        RegisterComponents();
    }

    internal void InitWeights(Generator g) => predictions.InitWeights(g);
}

/// <summary>HF <c>LegacyDebertaV2LMPredictionHead</c>: <c>transform</c> and <c>bias</c>; the decoder is tied to the word embeddings.</summary>
public sealed class LegacyMlmPrediction : nn.Module
{
    public MlmTransform transform;
    public Parameter bias;

    public LegacyMlmPrediction(DebertaV2Config c) : base(nameof(LegacyMlmPrediction))
    {
        transform = new MlmTransform(c, c.EmbeddingSize);
        bias = new Parameter(torch.zeros(c.VocabSize));
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor wordEmbeddings)
    {
        using var scope = torch.NewDisposeScope();
        return (torch.matmul(transform.call(hidden), wordEmbeddings.t()) + bias).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        transform.InitWeights(g);
        HfInit.Zeros(bias);
    }
}

/// <summary>HF <c>DebertaV2OnlyMLMHead</c> (non-legacy): <c>lm_head</c>.</summary>
public sealed class MlmHead : nn.Module
{
    public MlmTransform lm_head;

    public MlmHead(DebertaV2Config c) : base(nameof(MlmHead))
    {
        lm_head = new MlmTransform(c, c.HiddenSize, withBias: c.VocabSize);
        RegisterComponents();
    }

    internal void InitWeights(Generator g) => lm_head.InitWeights(g);
}

/// <summary>dense → activation → LayerNorm (HF's prediction-head transform); with a vocabulary bias it is also the non-legacy lm_head.</summary>
public sealed class MlmTransform : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> dense;
    public LayerNorm LayerNorm;
    public Parameter? bias;

    private readonly Func<Tensor, Tensor> act;
    private readonly double std;

    public MlmTransform(DebertaV2Config c, int size, int? withBias = null) : base(nameof(MlmTransform))
    {
        dense = nn.Linear(c.HiddenSize, size);
        LayerNorm = nn.LayerNorm(size, c.LayerNormEps);
        if (withBias is { } v) bias = new Parameter(torch.zeros(v));
        act = Activations.Get(c.HiddenAct);
        std = c.InitializerRange;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        return LayerNorm.call(act(dense.call(hidden))).MoveToOuterDisposeScope();
    }

    /// <summary>Non-legacy lm_head: transform, then · Eᵀ + bias.</summary>
    public Tensor Forward(Tensor hidden, Tensor wordEmbeddings)
    {
        using var scope = torch.NewDisposeScope();
        return (torch.matmul(forward(hidden), wordEmbeddings.t()) + bias!).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        HfInit.Linear(dense, std, g);
        HfInit.LayerNorm(LayerNorm);
        HfInit.Zeros(bias);
    }
}
