using System.Text.Json.Nodes;
using PartialLoRA.Models.Clip;

namespace PartialLoRA.Backbones;

/// <summary>
/// The lab vision backbone: CLIP's vision transformer (HF <c>CLIPVisionModel</c> code, pre-LN, class token,
/// <c>visual_projection</c>) at 32×32 with patch 4, pretrained supervised on CIFAR-10's training split with the
/// usual small-ViT recipe — random resized crop + horizontal flip, label smoothing, AdamW, warm-up + cosine.
/// A stratified <see cref="ValidationFraction"/> of the training split is held out for validation; the official
/// test split is only evaluated, never selected on. Defaults are the committed backbone's (chosen by measured
/// throughput on 2 CPU cores, see data/backbones/README.md).
/// </summary>
public sealed record VisionPretrainOptions
{
    public string Dataset { get; init; } = "cifar10";
    public int Width { get; init; } = 192;
    public int Layers { get; init; } = 6;
    public int Heads { get; init; } = 3;
    public double MlpRatio { get; init; } = 2;
    public int PatchSize { get; init; } = 4;
    public int ImageSize { get; init; } = 32;
    public int ProjectionDim { get; init; } = 192;
    public string HiddenAct { get; init; } = "quick_gelu";
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>Lower bound of the random resized crop's area fraction (torchvision's default 0.08 is for long schedules).</summary>
    public double CropScaleMin { get; init; } = 0.5;

    public double FlipProbability { get; init; } = 0.5;
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>A published backbone to start from (a warm restart) instead of a random initialisation; null: random.</summary>
    public PretrainInit? Init { get; init; }

    public PretrainSchedule Schedule { get; init; } = new()
    {
        Epochs = 32,
        BatchSize = 128,
        LearningRate = 1e-3,
        WeightDecay = 0.05,
        WarmupEpochs = 2,
        MinLearningRateFactor = 0.01,
        Bf16 = true,
    };

    public ClipVisionConfig VisionConfig() => new()
    {
        ImageSize = ImageSize,
        PatchSize = PatchSize,
        HiddenSize = Width,
        IntermediateSize = (int)Math.Round(MlpRatio * Width),
        NumHiddenLayers = Layers,
        NumAttentionHeads = Heads,
        HiddenAct = HiddenAct,
        // Eager attention: the kernel the published runs were trained with. SDPA agrees to ~1e-6 but would change
        // the last bits of the trajectory, so the same command would no longer reproduce the same weights.
        AttnImplementation = AttentionImplementation.Eager,
    };

    public void Validate()
    {
        Schedule.Validate("vision pretraining");
        VisionConfig().Validate("vision pretraining");
        if (ProjectionDim < 1) throw new ArgumentException($"vision pretraining: projection_dim = {ProjectionDim}: must be ≥ 1");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException($"vision pretraining: label_smoothing = {LabelSmoothing}: must be in [0, 1)");
        if (CropScaleMin is <= 0 or > 1) throw new ArgumentException($"vision pretraining: crop_scale_min = {CropScaleMin}: must be in (0, 1]");
        if (FlipProbability is < 0 or > 1) throw new ArgumentException($"vision pretraining: flip_probability = {FlipProbability}: must be in [0, 1]");
        if (ValidationFraction is <= 0 or >= 1) throw new ArgumentException($"vision pretraining: validation_fraction = {ValidationFraction}: must be in (0, 1)");
        Init?.CheckSameHoldOut("vision", Schedule.Seed, ("dataset", Dataset), ("validation_fraction", ValidationFraction));
    }

    public JsonObject ToJson() => PretrainInit.Record(new JsonObject
    {
        ["dataset"] = Dataset,
        ["model"] = new JsonObject
        {
            ["architecture"] = "CLIP vision transformer (HF CLIPVisionModel) + visual_projection + linear classifier on L2-normalised features",
            ["image_size"] = ImageSize,
            ["patch_size"] = PatchSize,
            ["width"] = Width,
            ["layers"] = Layers,
            ["heads"] = Heads,
            ["intermediate_size"] = VisionConfig().IntermediateSize,
            ["projection_dim"] = ProjectionDim,
            ["hidden_act"] = HiddenAct,
        },
        ["augmentation"] = new JsonObject
        {
            ["random_resized_crop_scale"] = new JsonArray(CropScaleMin, 1.0),
            ["random_resized_crop_ratio"] = new JsonArray(0.75, 4.0 / 3),
            ["flip_probability"] = FlipProbability,
        },
        ["label_smoothing"] = LabelSmoothing,
        ["validation_fraction"] = ValidationFraction,
        ["schedule"] = Schedule.ToJson(),
    }, Init);
}
