using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>
/// HF <c>CLIPModel</c> in its exact key layout: <c>text_model.*</c>, <c>vision_model.*</c>,
/// <c>visual_projection.weight</c>, <c>text_projection.weight</c> (both bias-free) and the scalar
/// <c>logit_scale</c>. Image/text features are the projected pooled outputs.
/// </summary>
public sealed class ClipModel : nn.Module, IHfModel
{
    public ClipTextTransformer text_model;
    public ClipVisionTransformer vision_model;
    public nn.Module<Tensor, Tensor> visual_projection;
    public nn.Module<Tensor, Tensor> text_projection;
    public Parameter logit_scale;

    public ClipConfig Config { get; }

    public ClipModel(ClipConfig config, long seed = 0) : base(nameof(ClipModel))
    {
        config.Validate("CLIP config");
        Config = config;
        text_model = new ClipTextTransformer(config.Text);
        vision_model = new ClipVisionTransformer(config.Vision);
        visual_projection = nn.Linear(config.Vision.HiddenSize, config.ProjectionDim, hasBias: false);
        text_projection = nn.Linear(config.Text.HiddenSize, config.ProjectionDim, hasBias: false);
        logit_scale = new Parameter(torch.tensor((float)config.LogitScaleInitValue));
        RegisterComponents();
        InitWeights(seed);
    }

    nn.Module IHfModel.Module => this;
    public string ModelType => ClipConfig.ModelType;
    public JsonObject ConfigJson() => Config.ToJson();
    public HfLoadPolicy LoadPolicy => HfLoadPolicy.Default;

    /// <summary>visual_projection of the pooled vision output: (N, projection_dim), not normalised.</summary>
    public Tensor GetImageFeatures(Tensor pixels)
    {
        using var scope = torch.NewDisposeScope();
        var (_, pooled) = vision_model.Forward(pixels);
        return visual_projection.call(pooled).MoveToOuterDisposeScope();
    }

    /// <summary>text_projection of the pooled (EOT) text output: (N, projection_dim), not normalised.</summary>
    public Tensor GetTextFeatures(Tensor ids, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var (_, pooled) = text_model.Forward(ids, attentionMask);
        return text_projection.call(pooled).MoveToOuterDisposeScope();
    }

    /// <summary>HF's <c>logits_per_image</c>: exp(logit_scale) · cos(image, text), shape (N_images, N_texts).</summary>
    public Tensor LogitsPerImage(Tensor pixels, Tensor ids, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var img = nn.functional.normalize(GetImageFeatures(pixels), p: 2, dim: -1);
        var txt = nn.functional.normalize(GetTextFeatures(ids, attentionMask), p: 2, dim: -1);
        return (torch.matmul(img, txt.t()) * logit_scale.exp()).MoveToOuterDisposeScope();
    }

    /// <summary>Re-draws every weight as HF's CLIP initialisation does, from <paramref name="seed"/>.</summary>
    public void InitWeights(long seed)
    {
        using var g = new Generator((ulong)seed);
        text_model.InitWeights(g);
        vision_model.InitWeights(g);
        HfInit.Linear(visual_projection, Math.Pow(Config.Vision.HiddenSize, -0.5) * Config.Vision.InitializerFactor, g);
        HfInit.Linear(text_projection, Math.Pow(Config.Text.HiddenSize, -0.5) * Config.Text.InitializerFactor, g);
        using var _ = torch.no_grad();
        logit_scale.fill_(Config.LogitScaleInitValue);
    }
}
