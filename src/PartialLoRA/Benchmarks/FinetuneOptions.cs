using System.Text.Json.Serialization;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Benchmarks;

/// <summary>
/// Settings of <c>bench finetune</c>. The defaults are the issue's: CLIP ViT-B/16 vision tower (seeded random
/// weights), 224² images, batch 64, rank 16 on q, k, v, out_proj, fc1, fc2, a 100-class linear head, AdamW, bf16 on
/// CUDA. Timing: <see cref="Warmup"/> untimed steps, then <see cref="Windows"/> windows of
/// <see cref="StepsPerWindow"/> steps, the device synchronised only at the end of each window; the step time is the
/// median over windows of (window time / steps).
/// </summary>
public sealed record FinetuneOptions
{
    /// <summary>A CLIP preset of the model registry.</summary>
    public string Preset { get; init; } = "clip-vit-b16";

    /// <summary>Image side in pixels; null = the preset's.</summary>
    public int? ImageSize { get; init; }

    public int Batch { get; init; } = 64;

    /// <summary>Rank of LoRA, Partial-LoRA, DoRA and VeRA, and AdaLoRA's initial rank (its target is half).</summary>
    public int Rank { get; init; } = 16;

    public int Classes { get; init; } = 100;

    public int Warmup { get; init; } = 10;

    public int Windows { get; init; } = 5;

    public int StepsPerWindow { get; init; } = 10;

    /// <summary>Dtype of the frozen base and the activations; null = bf16 on CUDA, f32 on CPU (each result names the one used).</summary>
    [JsonIgnore]
    public ScalarType? Dtype { get; init; }

    public AttentionImplementation Attention { get; init; } = AttentionImplementation.Sdpa;

    public double LearningRate { get; init; } = 1e-4;

    public double WeightDecay { get; init; } = 0.01;

    public long Seed { get; init; }

    /// <summary>Peak dense bf16 throughput MFU is measured against (the 790 TFLOP/s).</summary>
    public double PeakTflops { get; init; } = 790;

    /// <summary>The target modules (the issue's: attention and MLP projections).</summary>
    public static readonly IReadOnlyList<string> Targets = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"];

    public int TimedSteps => Windows * StepsPerWindow;

    public int TotalSteps => Warmup + TimedSteps;

    public void Validate()
    {
        if (Batch < 1) throw new ArgumentException($"batch must be ≥ 1, got {Batch}");
        if (Rank < 2) throw new ArgumentException($"rank must be ≥ 2 (AdaLoRA's target rank is half of it), got {Rank}");
        if (Classes < 2) throw new ArgumentException($"classes must be ≥ 2, got {Classes}");
        if (Warmup < 0) throw new ArgumentException($"warm-up steps must be ≥ 0, got {Warmup}");
        if (Windows < 1 || StepsPerWindow < 1) throw new ArgumentException($"need ≥ 1 window of ≥ 1 step, got {Windows} × {StepsPerWindow}");
        if (ImageSize is < 1) throw new ArgumentException($"image size must be positive, got {ImageSize}");
        if (!(LearningRate > 0)) throw new ArgumentException($"learning rate must be > 0, got {LearningRate}");
        if (!(PeakTflops > 0)) throw new ArgumentException($"peak TFLOP/s must be > 0, got {PeakTflops}");
        if (Dtype is { } d && d is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"dtype must be float32, bfloat16 or float16, got {d}");
        _ = Vision();
    }

    /// <summary>The preset's vision config with the image size and attention of these options, and its projection size.</summary>
    public (ClipVisionConfig Vision, int ProjectionDim) Vision()
    {
        var preset = ModelRegistry.Preset(Preset);
        if (preset.Config is not ClipConfig clip)
            throw new ArgumentException($"preset '{Preset}' is not a CLIP model; bench finetune takes one of " +
                                        string.Join(", ", ModelRegistry.Presets.Where(p => p.Family == ModelFamily.Clip).Select(p => p.Name)));
        var v = clip.Vision with { ImageSize = ImageSize ?? clip.Vision.ImageSize, AttnImplementation = Attention };
        v.Validate($"preset {Preset} at image size {v.ImageSize}");
        return (v, clip.ProjectionDim);
    }

    public ScalarType ResolveDtype(Device device) => Dtype ?? (device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32);
}
