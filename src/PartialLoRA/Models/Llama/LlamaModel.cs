using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Llama;

/// <summary>
/// HF <c>LlamaModel</c>: <c>embed_tokens</c>, <c>layers.{i}</c>, final <c>norm</c>, <c>rotary_emb</c>. Positions are
/// 0..T-1 whatever the padding (HF's default position_ids); attention is causal and masks padded keys.
/// </summary>
public sealed class LlamaModel : nn.Module
{
    public Embedding embed_tokens;
    public ModuleList<LlamaDecoderLayer> layers;
    public LlamaRmsNorm norm;
    public LlamaRotaryEmbedding rotary_emb;

    public LlamaConfig Config { get; }

    public LlamaModel(LlamaConfig c) : base(nameof(LlamaModel))
    {
        c.Validate("LLaMA config");
        Config = c;
        embed_tokens = c.PadTokenId is { } pad
            ? nn.Embedding(c.VocabSize, c.HiddenSize, padding_idx: pad)
            : nn.Embedding(c.VocabSize, c.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new LlamaDecoderLayer(c)).ToArray());
        norm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps);
        rotary_emb = new LlamaRotaryEmbedding(c);
        RegisterComponents();
    }

    public Tensor Embed(Tensor ids)
    {
        AttentionMasks.CheckIds(ids, "LLaMA");
        return embed_tokens.call(ids);
    }

    /// <summary>Decoder layer <paramref name="index"/> given the hidden state entering it.</summary>
    public Tensor Block(int index, Tensor hidden, Tensor? attentionMask)
    {
        using var scope = torch.NewDisposeScope();
        var (n, t) = (hidden.shape[0], hidden.shape[1]);
        var mask = AttentionMasks.Additive(AttentionMasks.Allowed(attentionMask, n, t, causal: true, hidden.device), hidden.dtype);
        var (cos, sin) = rotary_emb.Forward(t, hidden.dtype, hidden.device);
        return layers[index].Forward(hidden, mask, cos, sin).MoveToOuterDisposeScope();
    }

    /// <returns>The last hidden state after the final norm (N, T, hidden).</returns>
    public Tensor Forward(Tensor ids, Tensor? attentionMask = null, List<Tensor>? hiddenStates = null)
    {
        using var scope = torch.NewDisposeScope();
        var h = Embed(ids);
        var (n, t) = (h.shape[0], h.shape[1]);
        var mask = AttentionMasks.Additive(AttentionMasks.Allowed(attentionMask, n, t, causal: true, h.device), h.dtype);
        var (cos, sin) = rotary_emb.Forward(t, h.dtype, h.device);
        foreach (var layer in layers)
        {
            hiddenStates?.Add(h);
            h = layer.Forward(h, mask, cos, sin);
        }
        h = norm.call(h);
        hiddenStates?.Add(h);   // HF's last hidden_states entry is after the final norm
        if (hiddenStates is not null) foreach (var x in hiddenStates) x.MoveToOuterDisposeScope();
        return hiddenStates is null ? h.MoveToOuterDisposeScope() : h;
    }

    internal void InitWeights(Generator g)
    {
        HfInit.Embedding(embed_tokens, Config.InitializerRange, g, Config.PadTokenId);
        foreach (var l in layers) l.InitWeights(g);
        HfInit.Ones(norm.weight);
    }
}
