using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>
/// HF <c>CLIPVisionTransformer</c>: embeddings → <c>pre_layrnorm</c> (HF's spelling) → encoder; the pooled output
/// is <c>post_layernorm</c> of the class token. The last hidden state is the encoder output (not post-normed), as in HF.
/// </summary>
public sealed class ClipVisionTransformer : nn.Module
{
    public ClipVisionEmbeddings embeddings;
    public LayerNorm pre_layrnorm;
    public ClipEncoder encoder;
    public LayerNorm post_layernorm;

    public ClipVisionConfig Config { get; }

    public ClipVisionTransformer(ClipVisionConfig c) : base(nameof(ClipVisionTransformer))
    {
        c.Validate("CLIP vision config");
        Config = c;
        embeddings = new ClipVisionEmbeddings(c);
        pre_layrnorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        encoder = new ClipEncoder(c);
        post_layernorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>The hidden state entering encoder layer 0: patch/class/position embeddings, then pre-LN.</summary>
    public Tensor Embed(Tensor pixels)
    {
        using var scope = torch.NewDisposeScope();
        return pre_layrnorm.call(embeddings.call(pixels)).MoveToOuterDisposeScope();
    }

    /// <summary>post_layernorm of the class token of a last hidden state.</summary>
    public Tensor Pool(Tensor lastHidden)
    {
        using var scope = torch.NewDisposeScope();
        return post_layernorm.call(lastHidden.select(1, 0)).MoveToOuterDisposeScope();
    }

    /// <returns>The last hidden state (N, 1+patches, D) and the pooled output (N, D).</returns>
    public (Tensor LastHidden, Tensor Pooled) Forward(Tensor pixels, List<Tensor>? hiddenStates = null)
    {
        using var scope = torch.NewDisposeScope();
        var last = encoder.Forward(Embed(pixels), null, hiddenStates);
        var pooled = Pool(last);
        // the last hidden state is also the last entry of hiddenStates: move each tensor out once
        if (hiddenStates is not null) foreach (var h in hiddenStates) h.MoveToOuterDisposeScope();
        else last.MoveToOuterDisposeScope();
        return (last, pooled.MoveToOuterDisposeScope());
    }

    public void InitWeights(Generator g)
    {
        embeddings.InitWeights(g);
        HfInit.LayerNorm(pre_layrnorm);
        encoder.InitWeights(Config, g);
        HfInit.LayerNorm(post_layernorm);
    }
}
