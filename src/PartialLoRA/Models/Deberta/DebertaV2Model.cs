using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>HF <c>DebertaV2Model</c>: <c>embeddings</c> then <c>encoder</c>; the output is the last hidden state.</summary>
public sealed class DebertaV2Model : nn.Module
{
    public DebertaV2Embeddings embeddings;
    public DebertaV2Encoder encoder;

    public DebertaV2Config Config { get; }

    public DebertaV2Model(DebertaV2Config c) : base(nameof(DebertaV2Model))
    {
        c.Validate("DeBERTa config");
        Config = c;
        embeddings = new DebertaV2Embeddings(c);
        encoder = new DebertaV2Encoder(c);
        RegisterComponents();
    }

    /// <summary>An all-ones mask when none is given, as HF does.</summary>
    public static Tensor MaskOrOnes(Tensor ids, Tensor? mask)
    {
        if (mask is null) return torch.ones_like(ids);
        AttentionMasks.CheckPaddingMask(mask, ids.shape[0], ids.shape[1]);
        return mask;
    }

    /// <param name="hiddenStates">When given, receives the embedding output and every layer's output (HF's hidden_states).</param>
    public Tensor Forward(Tensor ids, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, List<Tensor>? hiddenStates = null)
    {
        using var scope = torch.NewDisposeScope();
        var mask = MaskOrOnes(ids, attentionMask);
        var e = embeddings.Forward(ids, mask, tokenTypeIds);
        var last = encoder.Forward(e, mask, hiddenStates);
        if (hiddenStates is not null) foreach (var x in hiddenStates) x.MoveToOuterDisposeScope();
        return hiddenStates is null ? last.MoveToOuterDisposeScope() : last;
    }

    internal void InitWeights(Generator g)
    {
        embeddings.InitWeights(g);
        encoder.InitWeights(g);
    }
}
