using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>
/// HF <c>CLIPTextTransformer</c>: embeddings → causal encoder (also masking padding) → <c>final_layer_norm</c>;
/// pooled output = the hidden state at the end-of-text token (EOT pooling). With the legacy
/// <c>eos_token_id == 2</c> the EOT is found as the argmax id (49407 is the largest id), otherwise as the first
/// occurrence of <c>eos_token_id</c>, exactly as HF does.
/// </summary>
public sealed class ClipTextTransformer : nn.Module
{
    public ClipTextEmbeddings embeddings;
    public ClipEncoder encoder;
    public LayerNorm final_layer_norm;

    public ClipTextConfig Config { get; }

    public ClipTextTransformer(ClipTextConfig c) : base(nameof(ClipTextTransformer))
    {
        c.Validate("CLIP text config");
        Config = c;
        embeddings = new ClipTextEmbeddings(c);
        encoder = new ClipEncoder(c);
        final_layer_norm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    /// <returns>The last hidden state (after final_layer_norm) and the pooled EOT state.</returns>
    public (Tensor LastHidden, Tensor Pooled) Forward(Tensor ids, Tensor? attentionMask = null, List<Tensor>? hiddenStates = null)
    {
        AttentionMasks.CheckIds(ids, "CLIP text");
        using var scope = torch.NewDisposeScope();
        var (n, t) = (ids.shape[0], ids.shape[1]);
        var h = embeddings.call(ids);
        var mask = AttentionMasks.Additive(AttentionMasks.Allowed(attentionMask, n, t, causal: true, ids.device), h.dtype);
        var last = final_layer_norm.call(encoder.Forward(h, mask, hiddenStates));
        var eot = Config.EosTokenId == 2
            ? ids.argmax(-1)
            : ids.eq(Config.EosTokenId).to(ScalarType.Int32).argmax(-1);
        var pooled = last.gather(1, eot.view(n, 1, 1).expand(n, 1, last.shape[2])).squeeze(1);
        if (hiddenStates is not null) foreach (var x in hiddenStates) x.MoveToOuterDisposeScope();
        return (last.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    public void InitWeights(Generator g)
    {
        embeddings.InitWeights(g);
        encoder.InitWeights(Config, g);
        HfInit.LayerNorm(final_layer_norm);
    }
}
