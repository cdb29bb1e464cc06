using System.Buffers.Binary;
using System.IO.Compression;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// An IDX file (LeCun's MNIST format, also Fashion-MNIST's), gzip-compressed or not (detected from the bytes):
/// magic 0x00 0x00 type ndims, then ndims big-endian uint32 sizes, then the data big-endian. Types: 0x08 uint8,
/// 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. Values are returned as doubles except uint8, which
/// keeps its bytes (<see cref="Bytes"/>).
/// </summary>
public sealed class IdxFile
{
    public int TypeCode { get; }
    public int[] Dims { get; }
    /// <summary>The raw data for type 0x08 (uint8), else null.</summary>
    public byte[]? Bytes { get; }
    private readonly double[]? values;

    private IdxFile(int type, int[] dims, byte[]? bytes, double[]? values) => (TypeCode, Dims, Bytes, this.values) = (type, dims, bytes, values);

    public long Count => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Element <paramref name="i"/> (row-major) as a double.</summary>
    public double this[long i] => Bytes != null ? Bytes[i] : values![i];

    public static IdxFile Read(byte[] data, string what)
    {
        if (data.Length >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                data = ms.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{what}: corrupt gzip data: {e.Message}", e);
            }
        }
        if (data.Length < 4 || data[0] != 0 || data[1] != 0)
            throw new InvalidDataException($"{what}: not an IDX file (the magic number must start with two zero bytes)");
        int type = data[2], ndims = data[3];
        var size = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new InvalidDataException($"{what}: IDX type code 0x{type:X2} is not one of 08, 09, 0B, 0C, 0D, 0E"),
        };
        if (ndims == 0) throw new InvalidDataException($"{what}: IDX file with 0 dimensions");
        var header = 4 + 4 * ndims;
        if (data.Length < header) throw new InvalidDataException($"{what}: IDX header is truncated ({data.Length} bytes for {ndims} dimensions)");
        var dims = new int[ndims];
        long count = 1;
        for (int d = 0; d < ndims; d++)
        {
            var v = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4 + 4 * d));
            if (v > int.MaxValue) throw new InvalidDataException($"{what}: IDX dimension {d} is {v}");
            dims[d] = (int)v;
            count *= v;
        }
        var expected = header + count * size;
        if (data.Length != expected)
            throw new InvalidDataException($"{what}: IDX data is {data.Length - header} bytes but dimensions [{string.Join(",", dims)}] of {size}-byte values need {count * size}{(data.Length < expected ? " (truncated)" : "")}");
        if (type == 0x08) return new IdxFile(type, dims, data[header..], null);
        var vals = new double[count];
        var s = data.AsSpan(header);
        for (long i = 0; i < count; i++)
        {
            var e = s.Slice((int)(i * size), size);
            vals[i] = type switch
            {
                0x09 => (sbyte)e[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(e),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(e),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(e),
                _ => BinaryPrimitives.ReadDoubleBigEndian(e),
            };
        }
        return new IdxFile(type, dims, null, vals);
    }
}
