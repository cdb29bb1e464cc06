using System.Text.Json;
using static TorchSharp.torch;

namespace PartialLoRA.Checkpoints;

/// <summary>
/// The tensors of a checkpoint by name, from one safetensors file or from the shards listed by a
/// <c>model.safetensors.index.json</c> ({"metadata": {...}, "weight_map": {tensor: shard file}}). Shards are
/// memory-mapped and read tensor by tensor.
/// </summary>
public sealed class TensorCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> owner;
    private readonly List<SafetensorsFile> files;

    /// <summary>The file or index this was opened from.</summary>
    public string Source { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IEnumerable<string> Names => owner.Keys;

    private TensorCheckpoint(string source, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner,
        IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        this.files = files;
        this.owner = owner;
        Metadata = metadata;
    }

    /// <summary>
    /// Opens a <c>.safetensors</c> file, a <c>model.safetensors.index.json</c>, or a folder holding one of
    /// <c>model.safetensors</c> / <c>model.safetensors.index.json</c>.
    /// </summary>
    public static TensorCheckpoint Open(string path)
    {
        if (Directory.Exists(path))
        {
            var single = System.IO.Path.Combine(path, SingleFileName);
            var index = System.IO.Path.Combine(path, IndexFileName);
            if (File.Exists(single)) return OpenFile(single);
            if (File.Exists(index)) return OpenIndex(index);
            throw new FileNotFoundException($"{path}: no {SingleFileName} or {IndexFileName} in this folder");
        }
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return OpenIndex(path);
        return OpenFile(path);
    }

    private static TensorCheckpoint OpenFile(string path)
    {
        var f = SafetensorsFile.Open(path);
        return new TensorCheckpoint(path, [f], f.Entries.ToDictionary(e => e.Name, _ => f), f.Metadata);
    }

    private static TensorCheckpoint OpenIndex(string indexPath)
    {
        if (!File.Exists(indexPath)) throw new FileNotFoundException($"{indexPath}: index file not found", indexPath);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        Dictionary<string, string> map;
        var metadata = new Dictionary<string, string>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{indexPath}: missing object 'weight_map'");
            map = new Dictionary<string, string>();
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{indexPath}: weight_map['{p.Name}'] is not a file name");
                map[p.Name] = p.Value.GetString()!;
            }
            if (doc.RootElement.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object)
                foreach (var p in md.EnumerateObject()) metadata[p.Name] = p.Value.ToString();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{indexPath}: not valid JSON: {e.Message}");
        }
        var shardNames = map.Values.Distinct().ToList();
        var missing = shardNames.Where(s => !File.Exists(System.IO.Path.Combine(dir, s))).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"{indexPath}: shard file(s) missing from {dir}: {string.Join(", ", missing)}");
        var files = new List<SafetensorsFile>();
        try
        {
            var byName = new Dictionary<string, SafetensorsFile>();
            foreach (var s in shardNames)
            {
                var f = SafetensorsFile.Open(System.IO.Path.Combine(dir, s));
                files.Add(f);
                byName[s] = f;
            }
            var owner = new Dictionary<string, SafetensorsFile>();
            foreach (var (tensor, shard) in map)
            {
                var f = byName[shard];
                if (!f.Contains(tensor))
                    throw new InvalidDataException($"{indexPath}: weight_map puts '{tensor}' in {shard}, which does not contain it");
                owner[tensor] = f;
            }
            return new TensorCheckpoint(indexPath, files, owner, metadata);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => owner.ContainsKey(name);

    public SafetensorsEntry Entry(string name) =>
        owner.TryGetValue(name, out var f) ? f[name] : throw new KeyNotFoundException($"{Source}: no tensor '{name}'");

    public Tensor Load(string name, Device? device = null, ScalarType? dtype = null) =>
        owner.TryGetValue(name, out var f) ? f.Load(name, device, dtype) : throw new KeyNotFoundException($"{Source}: no tensor '{name}'");

    public void Dispose()
    {
        foreach (var f in files) f.Dispose();
    }
}
