using SkiaSharp;

namespace PartialLoRA.Data.Images;

/// <summary>
/// Encoded image bytes → <see cref="RawImage"/>: JPEG, PNG (and the other formats Skia reads: GIF, BMP, WebP) via
/// SkiaSharp, binary PPM/PGM by <see cref="PnmReader"/>. The format is sniffed from the bytes, not the file name
/// (some Oxford-IIIT Pets ".jpg" files are PNGs). Like PIL's <c>Image.open(..).convert("RGB")</c>, EXIF orientation
/// and ICC profiles are ignored and alpha is dropped (unpremultiplied). A truncated or undecodable image is an error
/// naming <c>what</c> (the file or archive entry), never a gray-filled picture.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes to the image's own channel count (1 for grayscale JPEG/PNG/PGM, else 3).</summary>
    public static RawImage Decode(byte[] data, string what)
    {
        if (PnmReader.IsPnm(data)) return PnmReader.Decode(data, what);
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new InvalidDataException($"{what}: undecodable image ({data.Length} bytes; not a JPEG, PNG, GIF, BMP, WebP or PPM)");
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (w <= 0 || h <= 0) throw new InvalidDataException($"{what}: image size {w}x{h} is empty");
        var gray = codec.Info.ColorType == SKColorType.Gray8;
        var info = new SKImageInfo(w, h, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var buf = new byte[info.BytesSize];
        SKCodecResult r;
        unsafe
        {
            fixed (byte* p = buf) r = codec.GetPixels(info, (IntPtr)p);
        }
        if (r != SKCodecResult.Success)
            throw new InvalidDataException(r == SKCodecResult.IncompleteInput
                ? $"{what}: truncated {codec.EncodedFormat} image ({data.Length} bytes; the data ends before the last row)"
                : $"{what}: cannot decode {codec.EncodedFormat} image: {r}");
        if (gray) return new RawImage(h, w, 1, buf);
        var rgb = new byte[w * h * 3];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgb[i] = buf[j];
            rgb[i + 1] = buf[j + 1];
            rgb[i + 2] = buf[j + 2];
        }
        return new RawImage(h, w, 3, rgb);
    }

    /// <summary>Encodes RGB or gray pixels as PNG (tests and fixtures; lossless).</summary>
    public static byte[] EncodePng(RawImage img) => Encode(img, SKEncodedImageFormat.Png, 100);

    /// <summary>Encodes RGB or gray pixels as JPEG with the given quality (tests, fixtures, benchmarks).</summary>
    public static byte[] EncodeJpeg(RawImage img, int quality = 90) => Encode(img, SKEncodedImageFormat.Jpeg, quality);

    private static byte[] Encode(RawImage img, SKEncodedImageFormat format, int quality)
    {
        var info = new SKImageInfo(img.Width, img.Height, img.Channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bmp = new SKBitmap(info);
        var dst = new byte[info.BytesSize];
        if (img.Channels == 1) img.Pixels.CopyTo(dst, 0);
        else
            for (int i = 0, j = 0; i < img.Pixels.Length; i += 3, j += 4)
            {
                dst[j] = img.Pixels[i];
                dst[j + 1] = img.Pixels[i + 1];
                dst[j + 2] = img.Pixels[i + 2];
                dst[j + 3] = 255;
            }
        System.Runtime.InteropServices.Marshal.Copy(dst, 0, bmp.GetPixels(), dst.Length);
        using var image = SKImage.FromBitmap(bmp);
        using var encoded = image.Encode(format, quality);
        return encoded.ToArray();
    }
}
