using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Llama;

/// <summary>
/// HF <c>LlamaForSequenceClassification</c>: <c>model</c> (LlamaModel) and a bias-free <c>score</c> Linear applied
/// at the last real token. HF finds that token from input_ids and pad_token_id; here the attention mask marks the
/// padding (the last position with mask 1; the last position when no mask is given), which selects the same token
/// whenever the padded positions are the masked ones, and lets <see cref="Head"/> work from hidden states alone.
/// As an <see cref="IBlockwiseClassifier"/>: embed = embed_tokens, blocks = decoder layers, head = norm + score.
/// </summary>
public sealed class LlamaForSequenceClassification : nn.Module, IBlockwiseClassifier, IHfModel
{
    public LlamaModel model;
    public nn.Module<Tensor, Tensor> score;

    public LlamaConfig Config { get; }

    public LlamaForSequenceClassification(LlamaConfig c, long seed = 0) : base(nameof(LlamaForSequenceClassification))
    {
        c.Validate("LLaMA config");
        Config = c;
        model = new LlamaModel(c);
        score = nn.Linear(c.HiddenSize, c.NumLabels, hasBias: false);
        RegisterComponents();
        InitWeights(seed);
    }

    public void InitWeights(long seed)
    {
        using var g = new Generator((ulong)seed);
        model.InitWeights(g);
        HfInit.Linear(score, Config.InitializerRange, g);
    }

    public nn.Module Module => this;
    public int NumClasses => Config.NumLabels;
    public int BlockCount => Config.NumHiddenLayers;
    public string ModelType => LlamaConfig.ModelType;
    public JsonObject ConfigJson() => Config.ToJson("LlamaForSequenceClassification");

    public HfLoadPolicy LoadPolicy => new()
    {
        BasePrefix = "model.",
        OtherHeadPrefixes = ["lm_head."],
        FreshPrefixes = ["score."],
    };

    /// <summary>Index of the last real token per row: (N) int64.</summary>
    public static Tensor LastTokenIndex(Tensor? attentionMask, long batch, long length, Device device)
    {
        if (attentionMask is null) return torch.full(batch, length - 1, ScalarType.Int64, device);
        AttentionMasks.CheckPaddingMask(attentionMask, batch, length);
        using var scope = torch.NewDisposeScope();
        var positions = torch.arange(length, ScalarType.Int64, device).unsqueeze(0);
        return (positions * attentionMask.to(ScalarType.Int64).to(device).ne(0).to(ScalarType.Int64)).argmax(-1).MoveToOuterDisposeScope();
    }

    public Tensor Logits(Tensor inputs, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var h = model.Embed(inputs);
        for (int i = 0; i < BlockCount; i++) h = model.Block(i, h, attentionMask);
        return Head(h, attentionMask).MoveToOuterDisposeScope();
    }

    public Tensor Embed(Tensor inputs, Tensor? attentionMask = null) => model.Embed(inputs);

    public Tensor Block(int index, Tensor hidden, Tensor? attentionMask = null)
    {
        if (index < 0 || index >= BlockCount) throw new ArgumentOutOfRangeException(nameof(index), $"LLaMA has blocks 0..{BlockCount - 1}");
        return model.Block(index, hidden, attentionMask);
    }

    public Tensor Head(Tensor hidden, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var (n, t, d) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
        var idx = LastTokenIndex(attentionMask, n, t, hidden.device);
        var last = hidden.gather(1, idx.view(n, 1, 1).expand(n, 1, d)).squeeze(1);
        return score.call(model.norm.call(last)).MoveToOuterDisposeScope();
    }

    private static readonly Regex LayerPath = new(@"^model\.layers\.(\d+)(?:\.|$)", RegexOptions.Compiled);

    public int? BlockIndexOf(string modulePath)
    {
        var m = LayerPath.Match(modulePath);
        return m.Success ? int.Parse(m.Groups[1].Value) : null;
    }
}
