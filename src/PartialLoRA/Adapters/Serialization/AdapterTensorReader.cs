using PartialLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Serialization;

/// <summary>
/// Reads a saved adapter's tensors with every key and shape checked, and remembers which keys were used so the
/// loader can reject files with tensors nothing consumed.
/// </summary>
internal sealed class AdapterTensorReader
{
    private readonly SafetensorsFile file;
    private readonly HashSet<string> consumed;

    public AdapterTensorReader(SafetensorsFile file, bool compactFile) : this(file, "", new HashSet<string>(), compactFile) { }

    private AdapterTensorReader(SafetensorsFile file, string prefix, HashSet<string> consumed, bool compactFile)
    {
        this.file = file;
        this.consumed = consumed;
        Prefix = prefix;
        CompactFile = compactFile;
    }

    public string Prefix { get; }

    /// <summary>Compact layers' factors are stored in their compact shapes (<c>partial_lora.file_layout = "compact"</c>).</summary>
    public bool CompactFile { get; }

    public string Path => file.Path;

    /// <summary>A reader for the keys of one module (<c>base_model.model.&lt;path&gt;.</c>).</summary>
    public AdapterTensorReader ForModule(string modulePath) => new(file, AdapterKeys.ModelPrefix + modulePath + ".", consumed, CompactFile);

    public bool Has(string key) => file.Contains(Prefix + key);

    /// <summary>The tensor on the CPU in its stored dtype; a missing key or another shape is an error naming both.</summary>
    public Tensor Read(string key, params long[] shape)
    {
        var full = Prefix + key;
        if (!file.Contains(full)) throw new InvalidDataException($"{file.Path}: missing tensor '{full}'");
        var e = file[full];
        if (!e.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{file.Path}: tensor '{full}' has shape [{string.Join(", ", e.Shape)}], expected [{string.Join(", ", shape)}]");
        consumed.Add(full);
        return file.Load(full);
    }

    /// <summary>A BOOL mask tensor as a bool array.</summary>
    public bool[] ReadMask(string key, params long[] shape)
    {
        var full = Prefix + key;
        if (file.Contains(full) && file[full].DType != "BOOL")
            throw new InvalidDataException($"{file.Path}: mask '{full}' is {file[full].DType}, expected BOOL");
        using var t = Read(key, shape);
        return t.data<bool>().ToArray();
    }

    public long[] ReadLongs(string key, params long[] shape)
    {
        var full = Prefix + key;
        if (file.Contains(full) && file[full].DType != "I64")
            throw new InvalidDataException($"{file.Path}: tensor '{full}' is {file[full].DType}, expected I64");
        using var t = Read(key, shape);
        return t.data<long>().ToArray();
    }

    /// <summary>Masked entries must be exactly zero in a saved masked adapter (PEFT would otherwise use them).</summary>
    public void RequireZeroOutsideMask(string key, Tensor value, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        var outside = value.to(ScalarType.Float32) * (1 - mask.to(ScalarType.Float32));
        if (outside.ne(0).any().item<bool>())
            throw new InvalidDataException($"{file.Path}: tensor '{Prefix + key}' has nonzero entries where its mask is 0; the masks and weights do not belong together");
    }

    /// <summary>Keys of the file that no read consumed.</summary>
    public IEnumerable<string> Unconsumed() => file.Entries.Select(e => e.Name).Where(n => !consumed.Contains(n));
}
