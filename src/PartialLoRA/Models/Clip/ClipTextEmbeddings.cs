using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>HF <c>CLIPTextEmbeddings</c>: token plus learned absolute position embeddings (positions 0..T-1).</summary>
public sealed class ClipTextEmbeddings : nn.Module<Tensor, Tensor>
{
    public Embedding token_embedding;
    public Embedding position_embedding;

    private readonly ClipTextConfig config;

    public ClipTextEmbeddings(ClipTextConfig c) : base(nameof(ClipTextEmbeddings))
    {
        config = c;
        token_embedding = nn.Embedding(c.VocabSize, c.HiddenSize);
        position_embedding = nn.Embedding(c.MaxPositionEmbeddings, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        AttentionMasks.CheckIds(ids, "CLIP text");
        var t = ids.shape[1];
        if (t > config.MaxPositionEmbeddings)
            throw new ArgumentException($"CLIP text: sequence length {t} exceeds max_position_embeddings {config.MaxPositionEmbeddings}");
        using var scope = torch.NewDisposeScope();
        var positions = torch.arange(t, ScalarType.Int64, ids.device).unsqueeze(0);
        return (token_embedding.call(ids) + position_embedding.call(positions)).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        HfInit.Normal(token_embedding.weight!, 0.02 * config.InitializerFactor, g);
        HfInit.Normal(position_embedding.weight!, 0.02 * config.InitializerFactor, g);
    }
}
