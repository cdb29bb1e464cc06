namespace PartialLoRA.Data.Images;

/// <summary>
/// Binary Netpbm images: P6 (RGB, GTSRB's .ppm) and P5 (gray). Header: magic, width, height, maxval separated by
/// whitespace, with '#' comments; one whitespace byte, then the raster. maxval ≤ 255 gives one byte per sample
/// (rescaled to 0…255 when maxval &lt; 255); 256…65535 gives two big-endian bytes, scaled down to 8 bits.
/// </summary>
public static class PnmReader
{
    public static bool IsPnm(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == (byte)'P' && data[1] is (byte)'5' or (byte)'6';

    public static RawImage Decode(ReadOnlySpan<byte> data, string what)
    {
        if (!IsPnm(data)) throw new InvalidDataException($"{what}: not a binary PPM/PGM (expected 'P6' or 'P5')");
        var channels = data[1] == (byte)'6' ? 3 : 1;
        int pos = 2;
        var width = Number(data, ref pos, what, "width");
        var height = Number(data, ref pos, what, "height");
        var maxval = Number(data, ref pos, what, "maxval");
        if (width <= 0 || height <= 0) throw new InvalidDataException($"{what}: PPM size {width}x{height} is empty");
        if (maxval is <= 0 or > 65535) throw new InvalidDataException($"{what}: PPM maxval {maxval} is outside 1…65535");
        if (pos >= data.Length || !IsSpace(data[pos])) throw new InvalidDataException($"{what}: PPM header is not followed by a whitespace byte");
        pos++;
        var samples = (long)width * height * channels;
        var bytesPer = maxval > 255 ? 2 : 1;
        if (data.Length - pos < samples * bytesPer)
            throw new InvalidDataException($"{what}: PPM raster is truncated: {data.Length - pos} bytes, {width}x{height}x{channels} needs {samples * bytesPer}");
        var px = new byte[samples];
        var raster = data.Slice(pos);
        if (bytesPer == 1 && maxval == 255) raster[..px.Length].CopyTo(px);
        else
            for (long i = 0; i < samples; i++)
            {
                int v = bytesPer == 1 ? raster[(int)i] : (raster[(int)(2 * i)] << 8) | raster[(int)(2 * i + 1)];
                if (v > maxval) throw new InvalidDataException($"{what}: PPM sample {v} exceeds maxval {maxval}");
                px[i] = (byte)((v * 255 + maxval / 2) / maxval);
            }
        return new RawImage(height, width, channels, px);
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    private static int Number(ReadOnlySpan<byte> d, ref int pos, string what, string field)
    {
        while (pos < d.Length)
        {
            if (IsSpace(d[pos])) pos++;
            else if (d[pos] == (byte)'#') while (pos < d.Length && d[pos] != (byte)'\n') pos++;
            else break;
        }
        long v = 0;
        int start = pos;
        while (pos < d.Length && d[pos] is >= (byte)'0' and <= (byte)'9' && v <= int.MaxValue) v = v * 10 + (d[pos++] - '0');
        if (pos == start || v > int.MaxValue) throw new InvalidDataException($"{what}: PPM header has no valid {field}");
        return (int)v;
    }
}
