using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>DebertaV2Embeddings</c>: word embeddings (+ absolute positions when <c>position_biased_input</c>, + token
/// types when <c>type_vocab_size</c> &gt; 0), an optional bias-free <c>embed_proj</c> when embedding_size differs
/// from hidden_size, LayerNorm, zeroing of padded positions, dropout. DeBERTa-v3 uses no absolute positions
/// (all position information comes from the relative attention).
/// </summary>
public sealed class DebertaV2Embeddings : nn.Module
{
    public Embedding word_embeddings;
    public Embedding? position_embeddings;
    public Embedding? token_type_embeddings;
    public nn.Module<Tensor, Tensor>? embed_proj;
    public LayerNorm LayerNorm;

    private readonly DebertaV2Config config;

    public DebertaV2Embeddings(DebertaV2Config c) : base(nameof(DebertaV2Embeddings))
    {
        config = c;
        word_embeddings = nn.Embedding(c.VocabSize, c.EmbeddingSize, padding_idx: c.PadTokenId);
        if (c.PositionBiasedInput) position_embeddings = nn.Embedding(c.MaxPositionEmbeddings, c.EmbeddingSize);
        if (c.TypeVocabSize > 0) token_type_embeddings = nn.Embedding(c.TypeVocabSize, c.EmbeddingSize);
        if (c.EmbeddingSize != c.HiddenSize) embed_proj = nn.Linear(c.EmbeddingSize, c.HiddenSize, hasBias: false);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    /// <param name="mask">(N,T) padding mask; padded positions are zeroed as in HF.</param>
    public Tensor Forward(Tensor ids, Tensor mask, Tensor? tokenTypeIds = null)
    {
        AttentionMasks.CheckIds(ids, "DeBERTa");
        var t = ids.shape[1];
        if (position_embeddings is not null && t > config.MaxPositionEmbeddings)
            throw new ArgumentException($"DeBERTa: sequence length {t} exceeds max_position_embeddings {config.MaxPositionEmbeddings}");
        using var scope = torch.NewDisposeScope();
        var e = word_embeddings.call(ids);
        if (position_embeddings is not null)
            e = e + position_embeddings.call(torch.arange(t, ScalarType.Int64, ids.device).unsqueeze(0));
        if (token_type_embeddings is not null)
            e = e + token_type_embeddings.call(tokenTypeIds ?? torch.zeros_like(ids));
        if (embed_proj is not null) e = embed_proj.call(e);
        e = LayerNorm.call(e);
        e = e * mask.to(e.dtype).unsqueeze(2);
        return nn.functional.dropout(e, config.HiddenDropoutProb, training).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        HfInit.Embedding(word_embeddings, config.InitializerRange, g, config.PadTokenId);
        if (position_embeddings is not null) HfInit.Embedding(position_embeddings, config.InitializerRange, g);
        if (token_type_embeddings is not null) HfInit.Embedding(token_type_embeddings, config.InitializerRange, g);
        if (embed_proj is not null) HfInit.Linear(embed_proj, config.InitializerRange, g);
        HfInit.LayerNorm(LayerNorm);
    }
}
