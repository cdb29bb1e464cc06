using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PartialLoRA.Experiments;

/// <summary>
/// The identity of a model checkpoint for run keys: SHA-256 over the sorted list of (file name, size, SHA-256 of
/// the content) of the folder's config and weight files (<c>config.json</c>, <c>*.safetensors</c>,
/// <c>*.safetensors.index.json</c>), or of the single file given. Hashing a 13 GB checkpoint takes a while, so
/// results are remembered in <c>checkpoint-hashes.json</c> of the cache folder, keyed by full path, size and
/// modification time: a changed file is hashed again.
/// </summary>
public static class CheckpointHash
{
    public const string CacheFileName = "checkpoint-hashes.json";

    public static string Of(string path, string? cacheFolder = null)
    {
        var full = Path.GetFullPath(path);
        var files = Files(full);
        var stamp = string.Join(";", files.Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
        var cacheFile = Path.Combine(cacheFolder ?? CacheFolder.Resolve(), CacheFileName);
        var cache = ReadCache(cacheFile);
        if (cache[full] is JsonObject hit && hit["stamp"]?.GetValue<string>() == stamp && hit["sha256"]?.GetValue<string>() is { } known)
            return known;

        var listing = new StringBuilder();
        foreach (var f in files)
        {
            using var s = f.OpenRead();
            listing.Append(CultureInfo.InvariantCulture, $"{f.Name}\t{f.Length}\t{Convert.ToHexStringLower(SHA256.HashData(s))}\n");
        }
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
        cache[full] = new JsonObject { ["stamp"] = stamp, ["sha256"] = sha };
        AtomicFile.WriteAllText(cacheFile, cache.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return sha;
    }

    private static List<FileInfo> Files(string full)
    {
        if (File.Exists(full)) return [new FileInfo(full)];
        if (!Directory.Exists(full)) throw new SpecException($"{full}: checkpoint not found (expected a model folder or a .safetensors file)");
        var files = new DirectoryInfo(full).GetFiles()
            .Where(f => f.Name == "config.json" || f.Name.EndsWith(".safetensors", StringComparison.Ordinal) || f.Name.EndsWith(".safetensors.index.json", StringComparison.Ordinal))
            .OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        if (!files.Any(f => f.Name.EndsWith(".safetensors", StringComparison.Ordinal)))
            throw new SpecException($"{full}: no .safetensors weights in this checkpoint folder");
        return files;
    }

    // A damaged cache is only a cache: start afresh rather than fail the run.
    private static JsonObject ReadCache(string file)
    {
        try
        {
            return File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? new JsonObject() : new JsonObject();
        }
        catch (System.Text.Json.JsonException)
        {
            return new JsonObject();
        }
    }
}
