namespace PartialLoRA.Data.Images;

/// <summary>Decoded pixels, row-major height × width × channels (1 = gray, 3 = RGB), one byte per sample.</summary>
public sealed record RawImage(int Height, int Width, int Channels, byte[] Pixels)
{
    public RawImage Validate(string what)
    {
        if (Height <= 0 || Width <= 0) throw new InvalidDataException($"{what}: image size {Width}x{Height} is empty");
        if (Channels is not (1 or 3)) throw new InvalidDataException($"{what}: {Channels} channels; expected 1 (gray) or 3 (RGB)");
        if (Pixels.Length != (long)Height * Width * Channels)
            throw new InvalidDataException($"{what}: {Pixels.Length} bytes for {Width}x{Height}x{Channels}");
        return this;
    }

    /// <summary>The same image with <paramref name="channels"/> channels: gray → RGB repeats the value; RGB → gray
    /// uses ITU-R 601-2 luma, L = (299 R + 587 G + 114 B) / 1000 rounded, as PIL's <c>convert("L")</c>.</summary>
    public RawImage WithChannels(int channels)
    {
        if (channels == Channels) return this;
        var n = Height * Width;
        var dst = new byte[n * channels];
        if (Channels == 1 && channels == 3)
            for (int i = 0; i < n; i++) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = Pixels[i];
        else if (Channels == 3 && channels == 1)
            for (int i = 0; i < n; i++)
                dst[i] = (byte)((Pixels[3 * i] * 299 + Pixels[3 * i + 1] * 587 + Pixels[3 * i + 2] * 114 + 500) / 1000);
        else throw new ArgumentException($"cannot convert {Channels} channels to {channels}");
        return new RawImage(Height, Width, channels, dst);
    }
}
