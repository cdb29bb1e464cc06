using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Data.Images;

/// <summary>How decoded images are brought to one stored size.</summary>
public enum Fit
{
    /// <summary>Keep the decoded size; every image of the set must have it.</summary>
    Native,
    /// <summary>Resize both sides to the size (aspect ratio not kept), e.g. GTSRB's and FER's lab inputs.</summary>
    Stretch,
    /// <summary>Resize the short side to the size, then crop the centre square (CLIP's preprocessing).</summary>
    ShortSideCenterCrop,
}

/// <summary>
/// What is stored per image when a set is decoded: a square <see cref="Size"/> reached by <see cref="Fit"/> with
/// <see cref="Mode"/>, as uint8 with <see cref="Channels"/> channels (null: the dataset's own, 1 for gray datasets).
/// Resized pixels are rounded and clamped to 0…255 as an 8-bit PIL image would be.
/// </summary>
public sealed record DecodeSpec(int Size, ResizeMode Mode = ResizeMode.Bicubic, Fit Fit = Fit.ShortSideCenterCrop, int? Channels = null)
{
    /// <summary>No resizing: the dataset's own size (CIFAR's 32×32, Fashion-MNIST's 28×28).</summary>
    public static DecodeSpec Native(int? channels = null) => new(0, ResizeMode.Bilinear, Fit.Native, channels);

    /// <summary>A stable text form, part of cache keys.</summary>
    public string Key => Fit == Fit.Native ? $"native/c{Channels?.ToString() ?? "auto"}" : $"{Fit}/{Size}/{Mode}/c{Channels?.ToString() ?? "auto"}";

    /// <summary>Brings one decoded image to the stored form.</summary>
    public RawImage Apply(RawImage img, int channels)
    {
        img = img.WithChannels(channels);
        if (Fit == Fit.Native) return img;
        if (Size <= 0) throw new ArgumentException($"decode size {Size} must be positive");
        int h = Size, w = Size;
        if (Fit == Fit.ShortSideCenterCrop) (h, w) = ImageOps.ShortSideSize(img.Height, img.Width, Size);
        if (h == img.Height && w == img.Width && h == Size && w == Size) return img;
        using var scope = NewDisposeScope();
        var x = tensor(img.Pixels, [1, img.Height, img.Width, img.Channels]).permute(0, 3, 1, 2).to(ScalarType.Float32);
        x = ImageOps.Resize(x, h, w, Mode);
        if (Fit == Fit.ShortSideCenterCrop) x = ImageOps.CenterCrop(x, Size, Size);
        var bytes = x.round_().clamp_(0, 255).to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().bytes.ToArray();
        return new RawImage(Size, Size, img.Channels, bytes);
    }
}
