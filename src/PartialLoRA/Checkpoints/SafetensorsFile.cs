using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Checkpoints;

/// <summary>One tensor's entry in a safetensors header. Offsets are relative to the start of the data buffer.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A safetensors file (https://github.com/huggingface/safetensors): 8-byte little-endian header length N, N bytes
/// of JSON header ({name: {dtype, shape, data_offsets:[begin,end]}, "__metadata__": {str: str}}), then the data
/// buffer. The file is memory-mapped: a tensor is copied once, from the page cache into the new tensor, so a
/// checkpoint never needs twice its size in RAM. Every structural rule of the format is checked on open.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>The format's limit on header size.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly Dictionary<string, SafetensorsEntry> entries;

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Entries in data-offset order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    public long DataStart { get; }

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, long dataStart,
        List<SafetensorsEntry> list, Dictionary<string, string> metadata)
    {
        Path = path;
        this.map = map;
        this.view = view;
        DataStart = dataStart;
        Entries = list;
        entries = list.ToDictionary(e => e.Name);
        Metadata = metadata;
    }

    public bool Contains(string name) => entries.ContainsKey(name);

    public SafetensorsEntry this[string name] =>
        entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor '{name}'");

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: safetensors file not found", path);
        var length = new FileInfo(path).Length;
        if (length < 8) throw Bad(path, $"file is {length} bytes, shorter than the 8-byte header length");
        byte[] header;
        long n;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            Span<byte> len = stackalloc byte[8];
            fs.ReadExactly(len);
            n = BitConverter.ToInt64(len);
            if (n <= 0 || n > MaxHeaderBytes) throw Bad(path, $"header length {n} is outside 1..{MaxHeaderBytes}");
            if (8 + n > length) throw Bad(path, $"header length {n} runs past the end of the file ({length} bytes): truncated?");
            header = new byte[n];
            fs.ReadExactly(header);
        }
        var dataStart = 8 + n;
        var dataLength = length - dataStart;
        var (list, metadata) = ParseHeader(path, header, dataLength);
        if (dataLength == 0) return new SafetensorsFile(path, null, null, dataStart, list, metadata);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        return new SafetensorsFile(path, map, view, dataStart, list, metadata);
    }

    private static (List<SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        if (header[0] != (byte)'{') throw Bad(path, "header does not start with '{'");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '));
        }
        catch (JsonException e)
        {
            throw Bad(path, $"header is not valid JSON: {e.Message}");
        }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "header is not a JSON object");
        var list = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        var seen = new HashSet<string>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(prop.Name)) throw Bad(path, $"tensor '{prop.Name}' appears twice in the header");
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object");
                foreach (var m in prop.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"__metadata__.{m.Name} is not a string");
                    metadata[m.Name] = m.Value.GetString()!;
                }
                continue;
            }
            list.Add(ParseEntry(path, prop));
        }
        list.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var e in list)
        {
            if (e.Begin < expected)
                throw Bad(path, $"tensor '{e.Name}' [{e.Begin},{e.End}) overlaps the previous tensor (which ends at {expected})");
            if (e.Begin > expected)
                throw Bad(path, $"hole in the data buffer before tensor '{e.Name}': bytes [{expected},{e.Begin}) belong to no tensor");
            if (e.End > dataLength)
                throw Bad(path, $"tensor '{e.Name}' [{e.Begin},{e.End}) runs past the data buffer ({dataLength} bytes): truncated?");
            expected = e.End;
        }
        if (expected != dataLength)
            throw Bad(path, $"the data buffer has {dataLength - expected} trailing bytes that belong to no tensor");
        return (list, metadata);
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty prop)
    {
        var where = $"tensor '{prop.Name}'";
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(path, $"{where}: entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(path, $"{where}: missing 'dtype'");
        var dtype = dt.GetString()!;
        if (!SafetensorsDType.IsKnown(dtype)) throw Bad(path, $"{where}: unknown dtype '{dtype}'");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"{where}: missing 'shape'");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var x) || x < 0)
                throw Bad(path, $"{where}: shape has a dimension that is not a non-negative integer");
            shape.Add(x);
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(path, $"{where}: 'data_offsets' must be [begin, end]");
        if (!off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw Bad(path, $"{where}: data_offsets [{off[0]}, {off[1]}] are not 0 <= begin <= end");
        var e = new SafetensorsEntry(prop.Name, dtype, shape.ToArray(), begin, end);
        long bytes;
        try
        {
            bytes = checked(e.ElementCount * SafetensorsDType.SizeOf(dtype));
        }
        catch (OverflowException)
        {
            throw Bad(path, $"{where}: shape [{string.Join(",", e.Shape)}] is too large");
        }
        if (bytes != end - begin)
            throw Bad(path, $"{where}: shape [{string.Join(",", e.Shape)}] of {dtype} needs {bytes} bytes but data_offsets span {end - begin}");
        return e;
    }

    /// <summary>Reads a tensor (CPU, the stored dtype unless <paramref name="dtype"/> is given) and moves it to <paramref name="device"/>.</summary>
    public Tensor Load(string name, Device? device = null, ScalarType? dtype = null)
    {
        var e = this[name];
        var stored = SafetensorsDType.ToTorch(e.DType, name);
        var t = torch.empty(e.Shape, stored);
        var count = e.End - e.Begin;
        if (count > 0)
        {
            if (count > int.MaxValue) throw new NotSupportedException($"{Path}: tensor '{name}' is larger than 2 GiB");
            unsafe
            {
                byte* p = null;
                view!.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                try
                {
                    var src = new ReadOnlySpan<byte>(p + view.PointerOffset + DataStart + e.Begin, (int)count);
                    t.bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(src), src.Length);
                }
                finally
                {
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
        }
        if (dtype is { } want && want != stored) t = Swap(t, t.to(want));
        if (device != null && device.type != DeviceType.CPU) t = Swap(t, t.to(device));
        return t;
    }

    private static Tensor Swap(Tensor old, Tensor @new)
    {
        if (!ReferenceEquals(old, @new)) old.Dispose();
        return @new;
    }

    internal static InvalidDataException Bad(string path, string what) => new($"{path}: invalid safetensors file: {what}");

    public void Dispose()
    {
        view?.Dispose();
        map?.Dispose();
    }
}
