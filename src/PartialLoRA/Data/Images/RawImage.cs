namespace PartialLoRA.Data.Images;

/// <summary>Decoded pixels, row-major height × width × channels (1 = gray, 3 = RGB), one byte per sample.</summary>
public sealed record RawImage(int Height, int Width, int Channels, byte[] Pixels)
{
    /// <summary>The same image with <paramref name="channels"/> channels: gray → RGB repeats the value; RGB → gray
    /// uses ITU-R 601-2 luma in PIL's fixed point, L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, as <c>convert("L")</c>.</summary>
    public RawImage WithChannels(int channels)
    {
        if (channels == Channels) return this;
        var n = Height * Width;
        var dst = new byte[n * channels];
        if (Channels == 1 && channels == 3)
            for (int i = 0; i < n; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = Pixels[i];
        else if (Channels == 3 && channels == 1)
            for (int i = 0; i < n; i++)
                dst[i] = (byte)((Pixels[3 * i] * 19595 + Pixels[3 * i + 1] * 38470 + Pixels[3 * i + 2] * 7471 + 0x8000) >> 16);
        else throw new ArgumentException($"cannot convert {Channels} channels to {channels}");
        return new RawImage(Height, Width, channels, dst);
    }
}
