using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Data.Images;

/// <summary>Interpolation for resizing. Both are antialiased when downscaling (PIL's behaviour, which CLIP's
/// preprocessing relies on); bicubic uses PIL's kernel (a = -0.5).</summary>
public enum ResizeMode
{
    Bilinear,
    Bicubic,
}

/// <summary>
/// Geometric and photometric operations on image batches N×C×H×W (float, any range). Resizing is libtorch's
/// <c>interpolate</c> with <c>antialias=true, align_corners=false</c>, which matches Pillow for downscaling and uses
/// Pillow's kernels for upscaling too. Output sizes and crop offsets follow torchvision's rules, so a preset here
/// gives the same geometry as the Python pipeline it mirrors.
/// </summary>
public static class ImageOps
{
    /// <summary>Resizes to exactly <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static Tensor Resize(Tensor x, int height, int width, ResizeMode mode)
    {
        if (x.shape[^2] == height && x.shape[^1] == width) return x.alias();
        var m = mode == ResizeMode.Bicubic ? InterpolationMode.Bicubic : InterpolationMode.Bilinear;
        return nn.functional.interpolate(x, [height, width], mode: m, align_corners: false, antialias: true);
    }

    /// <summary>torchvision's <c>Resize(size)</c> with an int: the short side becomes <paramref name="size"/>, the long
    /// side <c>int(size * long / short)</c> (truncated).</summary>
    public static (int Height, int Width) ShortSideSize(int height, int width, int size)
    {
        if (height <= width) return (size, (int)((long)size * width / height));
        return ((int)((long)size * height / width), size);
    }

    public static Tensor ResizeShortSide(Tensor x, int size, ResizeMode mode)
    {
        var (h, w) = ShortSideSize((int)x.shape[^2], (int)x.shape[^1], size);
        return Resize(x, h, w, mode);
    }

    /// <summary>torchvision's <c>CenterCrop</c>: offsets <c>round((H - h) / 2)</c> with round-half-to-even, and zero
    /// padding when the image is smaller than the crop.</summary>
    public static Tensor CenterCrop(Tensor x, int height, int width)
    {
        long H = x.shape[^2], W = x.shape[^1];
        if (H < height || W < width)
        {
            long padH = Math.Max(0, height - H), padW = Math.Max(0, width - W);
            using var padded = nn.functional.pad(x, [padW / 2, (padW + 1) / 2, padH / 2, (padH + 1) / 2]);
            return CenterCrop(padded, height, width);
        }
        var top = (long)Math.Round((H - height) / 2.0, MidpointRounding.ToEven);
        var left = (long)Math.Round((W - width) / 2.0, MidpointRounding.ToEven);
        return x[.., .., TensorIndex.Slice(top, top + height), TensorIndex.Slice(left, left + width)];
    }

    /// <summary>Repeats a single channel three times (gray → RGB); RGB input is returned as is.</summary>
    public static Tensor ToRgb(Tensor x) =>
        x.shape[1] switch
        {
            3 => x.alias(),
            1 => x.expand(x.shape[0], 3, x.shape[2], x.shape[3]),
            var c => throw new ArgumentException($"image batch has {c} channels; expected 1 or 3"),
        };

    /// <summary>(x - mean) / std per channel; <paramref name="x"/> in [0, 1].</summary>
    public static Tensor Normalize(Tensor x, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count != x.shape[1] || std.Count != x.shape[1])
            throw new ArgumentException($"normalise: {mean.Count} means and {std.Count} stds for {x.shape[1]} channels");
        using var m = tensor(mean.ToArray(), dtype: x.dtype, device: x.device).view(1, -1, 1, 1);
        using var s = tensor(std.ToArray(), dtype: x.dtype, device: x.device).view(1, -1, 1, 1);
        return (x - m).div_(s);
    }

    /// <summary>
    /// torchvision's <c>RandomResizedCrop.get_params</c>: up to 10 tries of an area fraction in <paramref name="scale"/>
    /// and a log-uniform aspect ratio in <paramref name="ratio"/>; w = round(sqrt(area·r)), h = round(sqrt(area/r));
    /// the first box that fits is placed uniformly. Otherwise the whole image, cropped centrally to the nearest
    /// allowed ratio. Returns (top, left, height, width).
    /// </summary>
    public static (int Top, int Left, int Height, int Width) RandomResizedCropBox(
        int height, int width, (double Min, double Max) scale, (double Min, double Max) ratio, FewShot.SplitMix64 rng)
    {
        double area = (double)height * width;
        double logLo = Math.Log(ratio.Min), logHi = Math.Log(ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            var target = area * rng.NextDouble(scale.Min, scale.Max);
            var aspect = Math.Exp(rng.NextDouble(logLo, logHi));
            var w = (int)Math.Round(Math.Sqrt(target * aspect), MidpointRounding.ToEven);
            var h = (int)Math.Round(Math.Sqrt(target / aspect), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
                return (rng.NextBelow(height - h + 1), rng.NextBelow(width - w + 1), h, w);
        }
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < ratio.Min) { cw = width; ch = (int)Math.Round(cw / ratio.Min, MidpointRounding.ToEven); }
        else if (inRatio > ratio.Max) { ch = height; cw = (int)Math.Round(ch * ratio.Max, MidpointRounding.ToEven); }
        else { cw = width; ch = height; }
        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }
}
