using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>
/// The paper's image classifier (§5, "a linear classifier on top of the image features, initialised with language
/// prompts from the text encoder"): CLIP's vision tower and <c>visual_projection</c>, then a Linear
/// <c>classifier</c> over the L2-normalised image features. <see cref="ClipZeroShotHead"/> initialises the classifier
/// from class prompts (rows = exp(logit_scale) · normalised text embeddings, bias 0), which makes the untrained
/// classifier CLIP's zero-shot classifier; for lab-scale training from scratch it starts seeded-random.
/// As an <see cref="IBlockwiseClassifier"/>: embed = patch/class/position embeddings + pre-LN, blocks = encoder
/// layers, head = post-LN on the class token → visual_projection → normalise → classifier.
/// State-dict names: <c>vision_model.*</c> and <c>visual_projection.weight</c> exactly as in HF CLIPModel, plus
/// <c>classifier.{weight,bias}</c>.
/// </summary>
public sealed class ClipVisionClassifier : nn.Module, IBlockwiseClassifier, IHfModel
{
    /// <summary>config.json model_type of a saved classifier (this project's own; HF CLIP folders load too).</summary>
    public const string SavedModelType = "clip_vision_classifier";

    public ClipVisionTransformer vision_model;
    public nn.Module<Tensor, Tensor> visual_projection;
    public nn.Module<Tensor, Tensor> classifier;

    public ClipVisionConfig VisionConfig { get; }
    public int ProjectionDim { get; }
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Whether image features are L2-normalised before the classifier (as in CLIP's zero-shot logits).</summary>
    public bool NormalizeFeatures { get; }

    public ClipVisionClassifier(ClipVisionConfig vision, int projectionDim, IReadOnlyList<string> labels,
        bool normalizeFeatures = true, long seed = 0) : base(nameof(ClipVisionClassifier))
    {
        vision.Validate("CLIP vision config");
        HfConfigJson.RequirePositive("CLIP classifier", "projection_dim", projectionDim);
        if (labels.Count < 1) throw new ArgumentException("CLIP classifier: need at least one class");
        VisionConfig = vision;
        ProjectionDim = projectionDim;
        Labels = labels.ToList();
        NormalizeFeatures = normalizeFeatures;
        vision_model = new ClipVisionTransformer(vision);
        visual_projection = nn.Linear(vision.HiddenSize, projectionDim, hasBias: false);
        classifier = nn.Linear(projectionDim, labels.Count);
        RegisterComponents();
        InitWeights(seed);
    }

    /// <summary>Seeded HF CLIP initialisation of the tower and projection; classifier ~ N(0, initializer_range²), bias 0.</summary>
    public void InitWeights(long seed)
    {
        using var g = new Generator((ulong)seed);
        vision_model.InitWeights(g);
        HfInit.Linear(visual_projection, Math.Pow(VisionConfig.HiddenSize, -0.5) * VisionConfig.InitializerFactor, g);
        HfInit.Linear(classifier, VisionConfig.InitializerRange, g);
    }

    /// <summary>Sets the classifier to <paramref name="weight"/> (classes × projection_dim) and <paramref name="bias"/> (default 0).</summary>
    public void SetClassifier(Tensor weight, Tensor? bias = null)
    {
        var lin = (TorchSharp.Modules.Linear)classifier;
        if (!weight.shape.SequenceEqual(lin.weight!.shape))
            throw new ArgumentException($"classifier weight must be ({NumClasses},{ProjectionDim}), got ({string.Join(",", weight.shape)})");
        using var _ = torch.no_grad();
        lin.weight!.copy_(weight);
        if (bias is null) lin.bias!.zero_();
        else lin.bias!.copy_(bias);
    }

    public nn.Module Module => this;
    public int NumClasses => Labels.Count;
    public int BlockCount => VisionConfig.NumHiddenLayers;
    public string ModelType => SavedModelType;

    public JsonObject ConfigJson() => new()
    {
        ["model_type"] = SavedModelType,
        ["projection_dim"] = ProjectionDim,
        ["normalize_features"] = NormalizeFeatures,
        ["vision_config"] = VisionConfig.ToJson(),
        ["id2label"] = HfConfigWriter.Id2Label(Labels),
        ["label2id"] = HfConfigWriter.Label2Id(Labels),
    };

    public HfLoadPolicy LoadPolicy => new()
    {
        OtherHeadPrefixes = ["text_model.", "text_projection.", "logit_scale"],
        FreshPrefixes = ["classifier."],
    };

    public Tensor Logits(Tensor inputs, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var (last, _) = vision_model.Forward(inputs);
        return Head(last).MoveToOuterDisposeScope();
    }

    /// <summary>The image features the classifier sees: (N, projection_dim), normalised when <see cref="NormalizeFeatures"/>.</summary>
    public Tensor Features(Tensor hidden)
    {
        using var scope = torch.NewDisposeScope();
        var f = visual_projection.call(vision_model.Pool(hidden));
        if (NormalizeFeatures) f = nn.functional.normalize(f, p: 2, dim: -1);
        return f.MoveToOuterDisposeScope();
    }

    public Tensor Embed(Tensor inputs, Tensor? attentionMask = null) => vision_model.Embed(inputs);

    public Tensor Block(int index, Tensor hidden, Tensor? attentionMask = null)
    {
        if (index < 0 || index >= BlockCount) throw new ArgumentOutOfRangeException(nameof(index), $"CLIP vision has blocks 0..{BlockCount - 1}");
        return vision_model.encoder.layers[index].Forward(hidden, null);
    }

    /// <remarks>
    /// Features reach the classifier in its weight's dtype, so a float32 head can sit on a bfloat16 tower (frozen
    /// backbone held in bf16, trained head in f32).
    /// </remarks>
    public Tensor Head(Tensor hidden, Tensor? attentionMask = null)
    {
        using var scope = torch.NewDisposeScope();
        var features = Features(hidden);
        if (classifier is TorchSharp.Modules.Linear { weight: { } w } && w.dtype != features.dtype) features = features.to(w.dtype);
        return classifier.call(features).MoveToOuterDisposeScope();
    }

    private static readonly Regex LayerPath = new(@"^vision_model\.encoder\.layers\.(\d+)(?:\.|$)", RegexOptions.Compiled);

    public int? BlockIndexOf(string modulePath)
    {
        var m = LayerPath.Match(modulePath);
        return m.Success ? int.Parse(m.Groups[1].Value) : null;
    }
}
