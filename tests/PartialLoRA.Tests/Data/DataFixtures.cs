using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Tests.Data;

/// <summary>Tiny dataset files the data tests build themselves, in each format's real layout.</summary>
public static class DataFixtures
{
    /// <summary>A deterministic RGB (or gray) test image whose pixel values depend on x, y and channel.</summary>
    public static RawImage Pattern(int height, int width, int channels = 3, int seed = 0)
    {
        var px = new byte[height * width * channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < channels; c++)
                    px[(y * width + x) * channels + c] = (byte)((x * 37 + y * 11 + c * 50 + x * y * 13 + seed * 7) % 256);
        return new RawImage(height, width, channels, px);
    }

    /// <summary>A .tar.gz (or plain .tar) holding the given files, written with System.Formats.Tar.</summary>
    public static byte[] TarGz(IEnumerable<(string Path, byte[] Data)> files, bool gzip = true)
    {
        using var ms = new MemoryStream();
        using (Stream outer = gzip ? new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true) : ms)
        using (var tw = new TarWriter(outer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, data) in files)
            {
                var e = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(data) };
                tw.WriteEntry(e);
            }
        }
        return ms.ToArray();
    }

    public static byte[] Zip(IEnumerable<(string Path, byte[] Data)> files)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (path, data) in files)
            {
                using var s = zip.CreateEntry(path, CompressionLevel.Fastest).Open();
                s.Write(data);
            }
        return ms.ToArray();
    }

    public static void WriteTree(string folder, IEnumerable<(string Path, byte[] Data)> files)
    {
        foreach (var (path, data) in files)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, data);
        }
    }

    /// <summary>CIFAR binary records: label byte(s), then 1024 R, 1024 G, 1024 B.</summary>
    public static byte[] CifarRecords(IReadOnlyList<(int Label, RawImage Image)> items, int labelBytes = 1)
    {
        var rec = labelBytes + 3072;
        var data = new byte[items.Count * rec];
        for (int i = 0; i < items.Count; i++)
        {
            var (label, img) = items[i];
            if (labelBytes == 2) data[i * rec] = (byte)(label / 5);   // coarse label
            data[i * rec + labelBytes - 1] = (byte)label;
            for (int p = 0; p < 1024; p++)
                for (int c = 0; c < 3; c++) data[i * rec + labelBytes + c * 1024 + p] = img.Pixels[p * 3 + c];
        }
        return data;
    }

    /// <summary>An IDX file of the given type code with big-endian dims and values.</summary>
    public static byte[] Idx(int type, int[] dims, IReadOnlyList<double> values, bool gzip = false)
    {
        var size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, _ => 8 };
        var data = new byte[4 + 4 * dims.Length + values.Count * size];
        data[2] = (byte)type;
        data[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4 + 4 * d), (uint)dims[d]);
        var s = data.AsSpan(4 + 4 * dims.Length);
        for (int i = 0; i < values.Count; i++)
        {
            var e = s.Slice(i * size, size);
            switch (type)
            {
                case 0x08: e[0] = (byte)values[i]; break;
                case 0x09: e[0] = (byte)(sbyte)values[i]; break;
                case 0x0B: BinaryPrimitives.WriteInt16BigEndian(e, (short)values[i]); break;
                case 0x0C: BinaryPrimitives.WriteInt32BigEndian(e, (int)values[i]); break;
                case 0x0D: BinaryPrimitives.WriteSingleBigEndian(e, (float)values[i]); break;
                default: BinaryPrimitives.WriteDoubleBigEndian(e, values[i]); break;
            }
        }
        return gzip ? Gzip(data) : data;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    public static byte[] Ppm(RawImage img, int maxval = 255)
    {
        var header = Encoding.ASCII.GetBytes($"{(img.Channels == 3 ? "P6" : "P5")}\n# test image\n{img.Width} {img.Height}\n{maxval}\n");
        var body = maxval <= 255
            ? img.Pixels.Select(p => (byte)(p * maxval / 255)).ToArray()
            : img.Pixels.SelectMany(p => { var v = p * maxval / 255; return new[] { (byte)(v >> 8), (byte)v }; }).ToArray();
        return [.. header, .. body];
    }

    /// <summary>
    /// A level-5 MAT-file built by hand from the format spec: header, then one miMATRIX element per variable holding a
    /// 1×N (or given dims) real array stored as <paramref name="storage"/> (miDOUBLE 9, miUINT8 2, miINT16 3…), optionally
    /// inside an miCOMPRESSED element, little- or big-endian.
    /// </summary>
    public static byte[] Mat(IEnumerable<(string Name, int[] Dims, double[] Values, int Storage)> vars, bool compressed, bool bigEndian = false)
    {
        var ms = new MemoryStream();
        var header = new byte[128];
        Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, written by the PartialLoRA tests").CopyTo(header, 0);
        for (int i = 60; i < 116; i++) header[i] = (byte)' ';
        header[124] = bigEndian ? (byte)0x01 : (byte)0x00;
        header[125] = bigEndian ? (byte)0x00 : (byte)0x01;
        header[126] = bigEndian ? (byte)'M' : (byte)'I';
        header[127] = bigEndian ? (byte)'I' : (byte)'M';
        ms.Write(header);
        foreach (var (name, dims, values, storage) in vars)
        {
            var matrix = new MemoryStream();
            Element(matrix, 6, U32s([6, 0], bigEndian), bigEndian);                                // flags: mxDOUBLE_CLASS
            Element(matrix, 5, U32s(dims.Select(d => (uint)d).ToArray(), bigEndian), bigEndian);    // dimensions (miINT32)
            Element(matrix, 1, Encoding.ASCII.GetBytes(name), bigEndian);                           // name (miINT8)
            Element(matrix, storage, Values(values, storage, bigEndian), bigEndian);
            var element = new MemoryStream();
            Element(element, 14, matrix.ToArray(), bigEndian);
            if (!compressed) ms.Write(element.ToArray());
            else
            {
                var z = new MemoryStream();
                using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(element.ToArray());
                var tag = new byte[8];
                W32(tag, 0, 15, bigEndian);
                W32(tag, 4, (uint)z.Length, bigEndian);
                ms.Write(tag);
                ms.Write(z.ToArray());
            }
        }
        return ms.ToArray();
    }

    private static void Element(Stream s, int type, byte[] data, bool be)
    {
        var tag = new byte[8];
        W32(tag, 0, (uint)type, be);
        W32(tag, 4, (uint)data.Length, be);
        s.Write(tag);
        s.Write(data);
        s.Write(new byte[(8 - data.Length % 8) % 8]);
    }

    private static byte[] U32s(uint[] v, bool be)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) W32(b, 4 * i, v[i], be);
        return b;
    }

    private static void W32(byte[] b, int at, uint v, bool be)
    {
        if (be) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    }

    private static byte[] Values(double[] values, int storage, bool be)
    {
        var size = storage switch { 1 or 2 => 1, 3 or 4 => 2, 5 or 6 or 7 => 4, _ => 8 };
        var b = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var e = b.AsSpan(i * size, size);
            switch (storage)
            {
                case 1: e[0] = (byte)(sbyte)values[i]; break;
                case 2: e[0] = (byte)values[i]; break;
                case 3: if (be) BinaryPrimitives.WriteInt16BigEndian(e, (short)values[i]); else BinaryPrimitives.WriteInt16LittleEndian(e, (short)values[i]); break;
                case 4: if (be) BinaryPrimitives.WriteUInt16BigEndian(e, (ushort)values[i]); else BinaryPrimitives.WriteUInt16LittleEndian(e, (ushort)values[i]); break;
                case 9: if (be) BinaryPrimitives.WriteDoubleBigEndian(e, values[i]); else BinaryPrimitives.WriteDoubleLittleEndian(e, values[i]); break;
                default: throw new ArgumentException($"storage type {storage} not used by the tests");
            }
        }
        return b;
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
