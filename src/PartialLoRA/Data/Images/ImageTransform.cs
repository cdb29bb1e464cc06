using PartialLoRA.Data.FewShot;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Data.Images;

/// <summary>Options of torchvision's <c>RandomResizedCrop</c> (defaults are torchvision's).</summary>
public sealed record RandomResizedCropOptions(double ScaleMin = 0.08, double ScaleMax = 1.0, double RatioMin = 3.0 / 4, double RatioMax = 4.0 / 3,
    ResizeMode Mode = ResizeMode.Bilinear);

/// <summary>
/// The per-batch image pipeline, applied to stored uint8 N×C×H×W on the target device, in this order:
/// to float in [0, 1]; either a random resized crop to <see cref="Size"/> (training augmentation, per image) or
/// a short-side resize to <see cref="Resize"/> and a centre crop to <see cref="Size"/> (each skipped when null or
/// already satisfied); a horizontal flip with probability <see cref="FlipProbability"/> (per image); gray → RGB when
/// <see cref="Rgb"/>; normalisation by <see cref="Mean"/>/<see cref="Std"/>. Randomness comes from the batch's
/// generator, so the same seed gives the same batches.
/// </summary>
public sealed record ImageTransform : IBatchTransform
{
    public int? Resize { get; init; }
    public ResizeMode ResizeMode { get; init; } = ResizeMode.Bicubic;
    /// <summary>Output side (centre crop or random resized crop); null keeps the size after <see cref="Resize"/>.</summary>
    public int? Size { get; init; }
    public RandomResizedCropOptions? RandomResizedCrop { get; init; }
    public double FlipProbability { get; init; }
    public bool Rgb { get; init; } = true;
    public IReadOnlyList<float>? Mean { get; init; }
    public IReadOnlyList<float>? Std { get; init; }

    public Tensor Apply(Tensor inputs, SplitMix64 rng)
    {
        if (inputs.dim() != 4) throw new ArgumentException($"image transform: expected N×C×H×W, got [{string.Join(",", inputs.shape)}]");
        using var scope = NewDisposeScope();
        var x = inputs.dtype == ScalarType.Byte ? inputs.to(ScalarType.Float32).div_(255) : inputs.to(ScalarType.Float32);
        if (RandomResizedCrop is { } rrc)
        {
            var size = Size ?? throw new ArgumentException("random resized crop needs Size");
            x = CropEach(x, size, rrc, rng);
        }
        else
        {
            if (Resize is { } r) x = ImageOps.ResizeShortSide(x, r, ResizeMode).clamp_(0, 1);
            if (Size is { } s && (x.shape[2] != s || x.shape[3] != s)) x = ImageOps.CenterCrop(x, s, s);
        }
        if (FlipProbability > 0)
        {
            var flip = Enumerable.Range(0, (int)x.shape[0]).Select(_ => rng.NextDouble() < FlipProbability).ToArray();
            if (flip.Any(f => f))
            {
                var m = tensor(flip, device: x.device).view(-1, 1, 1, 1);
                x = where(m, x.flip(3), x);
            }
        }
        if (Rgb) x = ImageOps.ToRgb(x);
        if (Mean != null || Std != null)
            x = ImageOps.Normalize(x, Mean ?? throw new ArgumentException("normalise: Std without Mean"),
                Std ?? throw new ArgumentException("normalise: Mean without Std"));
        return x.contiguous().MoveToOuterDisposeScope();
    }

    private static Tensor CropEach(Tensor x, int size, RandomResizedCropOptions o, SplitMix64 rng)
    {
        int H = (int)x.shape[2], W = (int)x.shape[3];
        var outs = new Tensor[x.shape[0]];
        for (int i = 0; i < outs.Length; i++)
        {
            var (top, left, h, w) = ImageOps.RandomResizedCropBox(H, W, (o.ScaleMin, o.ScaleMax), (o.RatioMin, o.RatioMax), rng);
            var crop = x[TensorIndex.Slice(i, i + 1), .., TensorIndex.Slice(top, top + h), TensorIndex.Slice(left, left + w)];
            outs[i] = ImageOps.Resize(crop, size, size, o.Mode);
        }
        return cat(outs, 0).clamp_(0, 1);
    }
}
