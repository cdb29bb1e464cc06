using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PartialLoRA.Checkpoints;
using static TorchSharp.torch;

namespace PartialLoRA.Data.Cache;

/// <summary>
/// Decoded sets kept so repeated runs do not decode again: in memory for the process, and optionally on disk as
/// safetensors files named by the SHA-256 of everything that determines their content (<see cref="Key"/>: dataset,
/// split, source fingerprint, rows, decode spec, format version). A disk entry also stores the SHA-256 of its
/// tensors' bytes, checked when loaded; a damaged or mismatching file is ignored and rebuilt. Sets handed out are
/// <see cref="ClassificationSet.Share"/>d handles, so callers may dispose them. Sets whose inputs exceed 2 GiB stay in
/// memory only (the safetensors reader's per-tensor limit).
/// </summary>
public sealed class SetCache(string? folder = null)
{
    /// <summary>Bumped when the stored format or decoding changes, so old entries are not reused.</summary>
    public const string FormatVersion = "partial-lora data cache v1";

    public const string FolderVariable = "PARTIALLORA_CACHE";

    private readonly ConcurrentDictionary<string, Lazy<ClassificationSet>> memory = new();

    /// <summary>The disk folder, or null for memory only.</summary>
    public string? Folder { get; } = folder;

    /// <summary>A process-wide memory cache, with a disk folder when <c>PARTIALLORA_CACHE</c> names one.</summary>
    public static SetCache Shared { get; } = new(Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } f ? f : null);

    /// <summary>The cache key for a description made of <paramref name="parts"/>.</summary>
    public static string Key(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(FormatVersion + "\n" + string.Join("\n", parts))));

    /// <summary>Counts, for tests and reports.</summary>
    public int MemoryHits, DiskHits, Builds;

    /// <summary>The set for <paramref name="key"/>: from memory, else from disk, else <paramref name="build"/> (then stored).</summary>
    public ClassificationSet GetOrBuild(string key, Func<ClassificationSet> build)
    {
        var hit = true;
        var lazy = memory.GetOrAdd(key, k => new Lazy<ClassificationSet>(() =>
        {
            hit = false;
            if (TryLoad(k) is { } loaded)
            {
                Interlocked.Increment(ref DiskHits);
                return DetachFromCallerScope(loaded);
            }
            Interlocked.Increment(ref Builds);
            var set = DetachFromCallerScope(build());
            Save(k, set);
            return set;
        }));
        try
        {
            var value = lazy.Value;
            if (hit) Interlocked.Increment(ref MemoryHits);
            return value.Share();
        }
        catch
        {
            memory.TryRemove(key, out _);   // do not cache the failure
            throw;
        }
    }

    /// <summary>Drops the in-memory sets (disk entries stay).</summary>
    public void Clear()
    {
        foreach (var (_, v) in memory)
            if (v.IsValueCreated) v.Value.Dispose();
        memory.Clear();
    }

    /// <summary>
    /// A cached set outlives the first caller's <c>torch.NewDisposeScope()</c>: its tensors leave that scope, else the
    /// scope would dispose them under later callers (and under other threads still reading them).
    /// </summary>
    private static ClassificationSet DetachFromCallerScope(ClassificationSet set)
    {
        set.Inputs.DetachFromDisposeScope();
        set.Labels.DetachFromDisposeScope();
        set.AttentionMask?.DetachFromDisposeScope();
        return set;
    }

    private string? PathOf(string key) => Folder == null ? null : Path.Combine(Folder, key + ".safetensors");

    private void Save(string key, ClassificationSet set)
    {
        if (PathOf(key) is not { } path) return;
        if (set.Inputs.numel() * set.Inputs.element_size() > int.MaxValue) return;   // the safetensors reader maps tensors up to 2 GiB
        var tensors = new List<(string, Tensor)> { ("inputs", set.Inputs), ("labels", set.Labels) };
        if (set.AttentionMask is { } m) tensors.Add(("attention_mask", m));
        var meta = new Dictionary<string, string>
        {
            ["format"] = FormatVersion,
            ["key"] = key,
            ["name"] = set.Name,
            ["split"] = set.Split,
            ["task"] = set.Task.ToString(),
            ["metric"] = set.Metric,
            ["class_names"] = JsonSerializer.Serialize(set.ClassNames),
            ["content_sha256"] = ContentHash(tensors.Select(t => t.Item2)),
        };
        SafetensorsWriter.Save(path, tensors, meta);
    }

    private static ClassificationSet? TryLoadFile(string path, string key)
    {
        using var file = SafetensorsFile.Open(path);
        var m = file.Metadata;
        if (m.GetValueOrDefault("format") != FormatVersion || m.GetValueOrDefault("key") != key) return null;
        var inputs = file.Load("inputs");
        var labels = file.Load("labels");
        var mask = file.Contains("attention_mask") ? file.Load("attention_mask") : null;
        var parts = mask is null ? new[] { inputs, labels } : new[] { inputs, labels, mask };
        if (ContentHash(parts) != m.GetValueOrDefault("content_sha256"))
        {
            foreach (var p in parts) p.Dispose();
            return null;
        }
        var names = JsonSerializer.Deserialize<string[]>(m["class_names"]) ?? [];
        return new ClassificationSet(m["name"], m["split"], inputs, labels, names, Enum.Parse<TaskType>(m["task"]), m["metric"], mask);
    }

    private ClassificationSet? TryLoad(string key)
    {
        if (PathOf(key) is not { } path || !File.Exists(path)) return null;
        try
        {
            return TryLoadFile(path, key);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or JsonException or KeyNotFoundException or ArgumentException)
        {
            return null;   // damaged entry: rebuilt and overwritten
        }
    }

    private static string ContentHash(IEnumerable<Tensor> tensors)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in tensors)
        {
            h.AppendData(Encoding.UTF8.GetBytes($"{t.dtype}[{string.Join(",", t.shape)}]"));
            using var c = t.contiguous();
            var rows = c.dim() == 0 ? 1 : c.shape[0];
            for (long start = 0; start < rows; start += 1024)   // row blocks keep each span under 2 GiB
            {
                using var block = c.dim() == 0 ? c.alias() : c.narrow(0, start, Math.Min(1024, rows - start));
                if (block.numel() > 0) h.AppendData(block.bytes);
            }
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }
}
