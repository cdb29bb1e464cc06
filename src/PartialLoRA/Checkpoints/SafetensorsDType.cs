using static TorchSharp.torch;

namespace PartialLoRA.Checkpoints;

/// <summary>The dtype strings of the safetensors format and their torch equivalents.</summary>
public static class SafetensorsDType
{
    private static readonly Dictionary<string, (ScalarType? Type, int Size)> Table = new()
    {
        ["BOOL"] = (ScalarType.Bool, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["I8"] = (ScalarType.Int8, 1),
        ["I16"] = (ScalarType.Int16, 2),
        ["U16"] = (null, 2),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["I32"] = (ScalarType.Int32, 4),
        ["U32"] = (null, 4),
        ["F32"] = (ScalarType.Float32, 4),
        ["F64"] = (ScalarType.Float64, 8),
        ["I64"] = (ScalarType.Int64, 8),
        ["U64"] = (null, 8),
        ["F8_E4M3"] = (null, 1),
        ["F8_E5M2"] = (null, 1),
    };

    public static bool IsKnown(string dtype) => Table.ContainsKey(dtype);

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(string dtype) =>
        Table.TryGetValue(dtype, out var e) ? e.Size : throw new ArgumentException($"unknown safetensors dtype '{dtype}'");

    /// <summary>The torch type, or an error for dtypes torch (TorchSharp) cannot hold, such as U32 or F8.</summary>
    public static ScalarType ToTorch(string dtype, string tensorName) =>
        Table.TryGetValue(dtype, out var e) && e.Type is { } t
            ? t
            : throw new NotSupportedException($"tensor '{tensorName}': dtype {dtype} has no TorchSharp equivalent");

    public static string FromTorch(ScalarType type) => type switch
    {
        ScalarType.Bool => "BOOL",
        ScalarType.Byte => "U8",
        ScalarType.Int8 => "I8",
        ScalarType.Int16 => "I16",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int32 => "I32",
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        _ => throw new NotSupportedException($"torch dtype {type} cannot be stored in safetensors"),
    };
}
