using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace PartialLoRA.Data.Readers;

/// <summary>A numeric MATLAB array: its dimensions and its real values in MATLAB's column-major order.</summary>
public sealed record MatArray(string Name, string Class, int[] Dims, double[] Values);

/// <summary>
/// A small reader for MATLAB level-5 MAT-files, enough for Flowers102's <c>imagelabels.mat</c> and <c>setid.mat</c>:
/// the 128-byte header (endianness from its last two bytes, "IM" = little-endian), data elements with 8-byte tags
/// (or the 4-byte "small element" form) padded to 8 bytes, <c>miCOMPRESSED</c> elements (zlib) and
/// <c>miMATRIX</c> elements holding real numeric arrays of any MATLAB numeric class, whose values may be stored in a
/// narrower type (as MATLAB and scipy do). Complex, sparse, cell, struct and object arrays are reported by name and
/// skipped when not asked for.
/// </summary>
public static class MatFile
{
    private const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7, MiDouble = 9,
        MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15, MiUtf8 = 16, MiUtf16 = 17, MiUtf32 = 18;

    private static readonly Dictionary<int, string> Classes = new()
    {
        [1] = "cell", [2] = "struct", [3] = "object", [4] = "char", [5] = "sparse", [6] = "double", [7] = "single",
        [8] = "int8", [9] = "uint8", [10] = "int16", [11] = "uint16", [12] = "int32", [13] = "uint32", [14] = "int64", [15] = "uint64",
    };

    /// <summary>All numeric arrays in the file by name; <paramref name="what"/> names the file in errors.</summary>
    public static IReadOnlyDictionary<string, MatArray> Read(byte[] data, string what)
    {
        if (data.Length < 128) throw new InvalidDataException($"{what}: {data.Length} bytes is too short for a MAT-file (128-byte header)");
        var text = Encoding.ASCII.GetString(data, 0, 116);
        if (text.StartsWith("MATLAB 7.3", StringComparison.Ordinal) || (data.Length >= 8 && data[0] == 0x89 && data[1] == (byte)'H'))
            throw new InvalidDataException($"{what}: MAT-file v7.3 (HDF5) is not supported; save with -v7 or -v6");
        bool little = data[126] == (byte)'I' && data[127] == (byte)'M';
        if (!little && !(data[126] == (byte)'M' && data[127] == (byte)'I'))
            throw new InvalidDataException($"{what}: not a level-5 MAT-file (no 'IM'/'MI' endian indicator at byte 126)");
        var result = new Dictionary<string, MatArray>(StringComparer.Ordinal);
        ReadElements(data.AsSpan(128), little, what, result, topLevel: true);
        return result;
    }

    private static void ReadElements(ReadOnlySpan<byte> s, bool little, string what, Dictionary<string, MatArray> into, bool topLevel)
    {
        int pos = 0;
        while (pos < s.Length)
        {
            if (topLevel && s.Length - pos < 8 && s[pos..].IndexOfAnyExcept((byte)0) < 0) break;   // trailing padding
            var (type, size, dataAt, next) = Tag(s, pos, little, what);
            var body = s.Slice(dataAt, size);
            if (type == MiCompressed)
            {
                ReadElements(Inflate(body, what), little, what, into, topLevel: false);
                next = dataAt + size;   // compressed elements are not padded
            }
            else if (type == MiMatrix)
            {
                if (size > 0 && Matrix(body, little, what) is { } m) into[m.Name] = m;
            }
            else throw new InvalidDataException($"{what}: unexpected top-level element type {type} at byte {128 + pos}");
            pos = next;
        }
    }

    private static (int Type, int Size, int DataAt, int Next) Tag(ReadOnlySpan<byte> s, int pos, bool little, string what)
    {
        if (s.Length - pos < 8) throw new InvalidDataException($"{what}: truncated data element tag at byte {pos}");
        var word = U32(s[pos..], little);
        if ((word >> 16) != 0)   // small data element: size in the upper half, data in the next 4 bytes
        {
            int smallSize = (int)(word >> 16), smallType = (int)(word & 0xFFFF);
            if (smallSize > 4) throw new InvalidDataException($"{what}: small data element of {smallSize} bytes at byte {pos}");
            return (smallType, smallSize, pos + 4, pos + 8);
        }
        var size = U32(s[(pos + 4)..], little);
        if (size > (uint)(s.Length - pos - 8)) throw new InvalidDataException($"{what}: data element at byte {pos} claims {size} bytes but {s.Length - pos - 8} remain (truncated file)");
        var end = pos + 8 + (int)size;
        return ((int)word, (int)size, pos + 8, end + (7 - (end + 7) % 8));
    }

    private static MatArray? Matrix(ReadOnlySpan<byte> s, bool little, string what)
    {
        var (ft, fsize, fat, fnext) = Tag(s, 0, little, what);
        if (ft != MiUInt32 || fsize < 8) throw new InvalidDataException($"{what}: matrix without array flags");
        var flags = U32(s[fat..], little);
        var cls = (int)(flags & 0xFF);
        var complex = (flags & 0x800) != 0;
        var (dt, dsize, dat, dnext) = Tag(s, fnext, little, what);
        if (dt != MiInt32) throw new InvalidDataException($"{what}: matrix without dimensions");
        var dims = new int[dsize / 4];
        for (int i = 0; i < dims.Length; i++) dims[i] = (int)U32(s[(dat + 4 * i)..], little);
        var (nt, nsize, nat, nnext) = Tag(s, dnext, little, what);
        if (nt != MiInt8) throw new InvalidDataException($"{what}: matrix without a name");
        var name = Encoding.ASCII.GetString(s.Slice(nat, nsize));
        var className = Classes.GetValueOrDefault(cls, $"class {cls}");
        if (cls is < 6 or > 15 || complex) return new MatArray(name, complex ? className + " (complex)" : className, dims, []);
        var (vt, vsize, vat, _) = Tag(s, nnext, little, what);
        var width = vt switch
        {
            MiInt8 or MiUInt8 => 1,
            MiInt16 or MiUInt16 => 2,
            MiInt32 or MiUInt32 or MiSingle => 4,
            MiDouble or MiInt64 or MiUInt64 => 8,
            _ => throw new InvalidDataException($"{what}: array '{name}' has values of unsupported type {vt}"),
        };
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (vsize != count * width)
            throw new InvalidDataException($"{what}: array '{name}' [{string.Join("x", dims)}] needs {count * width} bytes of type {vt}, found {vsize}");
        var values = new double[count];
        var v = s.Slice(vat, vsize);
        for (int i = 0; i < count; i++)
        {
            var e = v.Slice(i * width, width);
            values[i] = vt switch
            {
                MiInt8 => (sbyte)e[0],
                MiUInt8 => e[0],
                MiInt16 => little ? BinaryPrimitives.ReadInt16LittleEndian(e) : BinaryPrimitives.ReadInt16BigEndian(e),
                MiUInt16 => little ? BinaryPrimitives.ReadUInt16LittleEndian(e) : BinaryPrimitives.ReadUInt16BigEndian(e),
                MiInt32 => little ? BinaryPrimitives.ReadInt32LittleEndian(e) : BinaryPrimitives.ReadInt32BigEndian(e),
                MiUInt32 => U32(e, little),
                MiSingle => little ? BinaryPrimitives.ReadSingleLittleEndian(e) : BinaryPrimitives.ReadSingleBigEndian(e),
                MiDouble => little ? BinaryPrimitives.ReadDoubleLittleEndian(e) : BinaryPrimitives.ReadDoubleBigEndian(e),
                MiInt64 => little ? BinaryPrimitives.ReadInt64LittleEndian(e) : BinaryPrimitives.ReadInt64BigEndian(e),
                _ => little ? BinaryPrimitives.ReadUInt64LittleEndian(e) : BinaryPrimitives.ReadUInt64BigEndian(e),
            };
        }
        return new MatArray(name, className, dims, values);
    }

    private static byte[] Inflate(ReadOnlySpan<byte> body, string what)
    {
        try
        {
            using var z = new ZLibStream(new MemoryStream(body.ToArray()), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            z.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{what}: corrupt compressed element: {e.Message}", e);
        }
    }

    private static uint U32(ReadOnlySpan<byte> s, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);

    /// <summary>The numeric array <paramref name="name"/> as integers, checking each value is whole.</summary>
    public static int[] Integers(IReadOnlyDictionary<string, MatArray> file, string name, string what)
    {
        if (!file.TryGetValue(name, out var a)) throw new InvalidDataException($"{what}: no variable '{name}' (found: {string.Join(", ", file.Keys)})");
        if (a.Values.Length == 0 && a.Dims.Aggregate(1L, (x, y) => x * y) > 0)
            throw new InvalidDataException($"{what}: variable '{name}' is a {a.Class} array, expected numeric");
        var r = new int[a.Values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            var v = a.Values[i];
            if (v != Math.Floor(v) || v is < int.MinValue or > int.MaxValue) throw new InvalidDataException($"{what}: {name}[{i}] = {v} is not an integer");
            r[i] = (int)v;
        }
        return r;
    }
}
