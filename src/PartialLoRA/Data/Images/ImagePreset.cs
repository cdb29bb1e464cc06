namespace PartialLoRA.Data.Images;

/// <summary>
/// A named preprocessing: what is stored when a set is decoded, and the per-batch transforms for evaluation and
/// for training (the latter adds the augmentations when asked for).
/// </summary>
public sealed record ImagePreset(string Name, DecodeSpec Decode, ImageTransform Eval, ImageTransform Train)
{
    /// <summary>CLIP's (OpenAI's) normalisation constants.</summary>
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>
    /// OpenAI CLIP's preprocessing: bicubic resize of the short side to <paramref name="size"/>, centre crop, RGB,
    /// CLIP mean/std. Stored at <paramref name="size"/> by default; with <paramref name="resizePerBatch"/> images are
    /// stored at their native size (all the same, e.g. CIFAR's 32×32) and resized per batch, so a whole training set
    /// fits in memory. <paramref name="augment"/> adds a random resized crop and a horizontal flip to training batches.
    /// </summary>
    public static ImagePreset Clip(int size = 224, bool resizePerBatch = false, bool augment = false)
    {
        var eval = new ImageTransform { Resize = resizePerBatch ? size : null, Size = size, Mean = ClipMean, Std = ClipStd };
        var decode = resizePerBatch ? DecodeSpec.Native() : new DecodeSpec(size, ResizeMode.Bicubic, Fit.ShortSideCenterCrop);
        return new ImagePreset(resizePerBatch ? $"clip{size}-per-batch" : $"clip{size}", decode, eval, Augmented(eval, augment));
    }

    /// <summary>
    /// Small inputs for lab backbones: every image stretched (bilinear) to <paramref name="size"/>² when decoded
    /// (FER's 48², GTSRB's varying sizes, Fashion-MNIST's 28²; CIFAR's 32² stays as is), RGB, CLIP mean/std.
    /// </summary>
    public static ImagePreset Lab(int size = 32, bool augment = false)
    {
        var eval = new ImageTransform { Size = size, Mean = ClipMean, Std = ClipStd };
        return new ImagePreset($"lab{size}", new DecodeSpec(size, ResizeMode.Bilinear, Fit.Stretch), eval, Augmented(eval, augment));
    }

    private static ImageTransform Augmented(ImageTransform eval, bool augment) =>
        augment ? eval with { RandomResizedCrop = new RandomResizedCropOptions(), FlipProbability = 0.5 } : eval;

    /// <summary>By name: <c>clip</c>, <c>clip-per-batch</c>, <c>lab</c> (32), or <c>lab{N}</c>.</summary>
    public static ImagePreset Parse(string name, bool augment = false) =>
        name.ToLowerInvariant() switch
        {
            "clip" or "clip224" => Clip(augment: augment),
            "clip-per-batch" => Clip(resizePerBatch: true, augment: augment),
            "lab" => Lab(augment: augment),
            var s when s.StartsWith("lab") && int.TryParse(s[3..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 => Lab(n, augment),
            _ => throw new ArgumentException($"image preset '{name}': expected clip, clip-per-batch, lab or labN (e.g. lab32)"),
        };
}
