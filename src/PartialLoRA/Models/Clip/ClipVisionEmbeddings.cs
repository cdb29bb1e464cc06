using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>
/// HF <c>CLIPVisionEmbeddings</c>: a bias-free patch convolution (kernel = stride = patch size), a learned class
/// embedding prepended, and learned position embeddings for the class token and every patch. HF's
/// <c>position_ids</c> buffer is not persistent and is not kept here (positions are 0..P); checkpoints that still
/// carry it have it ignored on load.
/// </summary>
public sealed class ClipVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    public Parameter class_embedding;
    public Conv2d patch_embedding;
    public Embedding position_embedding;

    private readonly ClipVisionConfig config;

    public ClipVisionEmbeddings(ClipVisionConfig c) : base(nameof(ClipVisionEmbeddings))
    {
        config = c;
        class_embedding = new Parameter(torch.zeros(c.HiddenSize));
        patch_embedding = nn.Conv2d(c.NumChannels, c.HiddenSize, c.PatchSize, stride: c.PatchSize, bias: false);
        position_embedding = nn.Embedding(c.NumPositions, c.HiddenSize);
        RegisterComponents();
    }

    /// <param name="pixels">(N, channels, image_size, image_size) float, already normalised.</param>
    public override Tensor forward(Tensor pixels)
    {
        var c = config;
        if (pixels.dim() != 4 || pixels.shape[1] != c.NumChannels || pixels.shape[2] != c.ImageSize || pixels.shape[3] != c.ImageSize)
            throw new ArgumentException(
                $"CLIP vision: images must be (N,{c.NumChannels},{c.ImageSize},{c.ImageSize}) (image_size {c.ImageSize}), got ({string.Join(",", pixels.shape)})");
        if (!pixels.is_floating_point())
            throw new ArgumentException($"CLIP vision: images must be floating point, got {pixels.dtype}");
        using var scope = torch.NewDisposeScope();
        var n = pixels.shape[0];
        var patches = patch_embedding.call(pixels.to(patch_embedding.weight!.dtype)).flatten(2).transpose(1, 2);
        var cls = class_embedding.view(1, 1, -1).expand(n, 1, -1);
        var positions = torch.arange(c.NumPositions, ScalarType.Int64, pixels.device).unsqueeze(0);
        var emb = torch.cat([cls, patches], 1) + position_embedding.call(positions);
        return emb.MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        var c = config;
        HfInit.Normal(class_embedding, Math.Pow(c.HiddenSize, -0.5) * c.InitializerFactor, g);
        HfInit.Normal(patch_embedding.weight!, c.InitializerRange * c.InitializerFactor, g);
        HfInit.Normal(position_embedding.weight!, c.InitializerRange * c.InitializerFactor, g);
    }
}
