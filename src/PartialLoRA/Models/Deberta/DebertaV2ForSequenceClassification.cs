using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>DebertaV2ForSequenceClassification</c>: <c>deberta</c>, <c>pooler</c> (ContextPooler: dropout → dense →
/// activation on the first token) and <c>classifier</c> (Linear to num_labels) after dropout (cls_dropout, else
/// hidden_dropout_prob). As an <see cref="IBlockwiseClassifier"/>: embed = embeddings, blocks = encoder layers,
/// head = pooler + classifier.
/// </summary>
public sealed class DebertaV2ForSequenceClassification : nn.Module, IBlockwiseClassifier, IHfModel
{
    public DebertaV2Model deberta;
    public ContextPooler pooler;
    public nn.Module<Tensor, Tensor> classifier;

    public DebertaV2Config Config { get; }
    private readonly double dropout;

    public DebertaV2ForSequenceClassification(DebertaV2Config c, long seed = 0) : base(nameof(DebertaV2ForSequenceClassification))
    {
        c.Validate("DeBERTa config");
        Config = c;
        deberta = new DebertaV2Model(c);
        pooler = new ContextPooler(c);
        classifier = nn.Linear(c.HiddenSize, c.NumLabels);
        dropout = c.ClsDropout ?? c.HiddenDropoutProb;
        RegisterComponents();
        InitWeights(seed);
    }

    public void InitWeights(long seed)
    {
        using var g = new Generator((ulong)seed);
        deberta.InitWeights(g);
        pooler.InitWeights(g);
        HfInit.Linear(classifier, Config.InitializerRange, g);
    }

    public nn.Module Module => this;
    public int NumClasses => Config.NumLabels;
    public int BlockCount => Config.NumHiddenLayers;
    public string ModelType => DebertaV2Config.ModelType;
    public JsonObject ConfigJson() => Config.ToJson("DebertaV2ForSequenceClassification");

    public HfLoadPolicy LoadPolicy => DebertaLoadPolicy.For(Config) with
    {
        OtherHeadPrefixes = DebertaLoadPolicy.PretrainingHeads,
        FreshPrefixes = ["pooler.", "classifier."],
    };

    public Tensor Logits(Tensor inputs, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var mask = DebertaV2Model.MaskOrOnes(inputs, attentionMask);
        return Head(deberta.Forward(inputs, mask), mask).MoveToOuterDisposeScope();
    }

    public Tensor Embed(Tensor inputs, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        return deberta.embeddings.Forward(inputs, DebertaV2Model.MaskOrOnes(inputs, attentionMask)).MoveToOuterDisposeScope();
    }

    public Tensor Block(int index, Tensor hidden, Tensor? attentionMask = null)
    {
        if (index < 0 || index >= BlockCount) throw new ArgumentOutOfRangeException(nameof(index), $"DeBERTa has blocks 0..{BlockCount - 1}");
        using var scope = torch.NewDisposeScope();
        var mask = attentionMask ?? torch.ones(hidden.shape[0], hidden.shape[1], ScalarType.Int64, hidden.device);
        return deberta.encoder.Block(index, hidden, mask).MoveToOuterDisposeScope();
    }

    public Tensor Head(Tensor hidden, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var pooled = nn.functional.dropout(pooler.call(hidden), dropout, training);
        return classifier.call(pooled).MoveToOuterDisposeScope();
    }

    private static readonly Regex LayerPath = new(@"^deberta\.encoder\.(?:layer\.(\d+)|conv)(?:\.|$)", RegexOptions.Compiled);

    public int? BlockIndexOf(string modulePath)
    {
        var m = LayerPath.Match(modulePath);
        if (!m.Success) return null;
        return m.Groups[1].Success ? int.Parse(m.Groups[1].Value) : 0;   // the conv runs inside block 0
    }
}

/// <summary>HF <c>ContextPooler</c>: dropout → dense → activation on the first ([CLS]) token.</summary>
public sealed class ContextPooler : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> dense;
    private readonly Func<Tensor, Tensor> act;
    private readonly DebertaV2Config config;

    public ContextPooler(DebertaV2Config c) : base(nameof(ContextPooler))
    {
        config = c;
        dense = nn.Linear(c.PoolerHiddenSize, c.PoolerHiddenSize);
        act = Activations.Get(c.PoolerHiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        var first = nn.functional.dropout(hidden.select(1, 0), config.PoolerDropout, training);
        return act(dense.call(first)).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g) => HfInit.Linear(dense, config.InitializerRange, g);
}

/// <summary>What every DeBERTa model tolerates in HF checkpoints.</summary>
internal static class DebertaLoadPolicy
{
    /// <summary>Pretraining heads of the published checkpoints (MLM in both layouts, the RTD discriminator).</summary>
    public static readonly IReadOnlyList<string> PretrainingHeads = ["cls.", "lm_predictions.", "mask_predictions."];

    public static HfLoadPolicy For(DebertaV2Config c) => new()
    {
        BasePrefix = "deberta.",
        // HF drops absolute positions when position_biased_input is false but checkpoints may still hold them.
        IgnoredNames = c.PositionBiasedInput ? [] : ["deberta.embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight"],
    };
}
