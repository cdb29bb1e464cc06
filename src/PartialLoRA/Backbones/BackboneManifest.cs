using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Backbones;

/// <summary>
/// <c>data/backbones/manifest.json</c>: for each committed backbone its folder, the SHA-256 of every file in it, and
/// how it was made and how good it is (exact command, data, epochs, seed, device, time, measured quality); plus the
/// few-shot baseline table (Algorithm 1's μ per lab task). Entries are replaced whole; the file is written atomically.
/// </summary>
public sealed class BackboneManifest
{
    public const string FileName = "manifest.json";
    public const string Format = "partial-lora lab backbones v1";

    private readonly JsonObject root;

    public string Folder { get; }
    public string PathName => System.IO.Path.Combine(Folder, FileName);

    private BackboneManifest(string folder, JsonObject root) => (Folder, this.root) = (folder, root);

    /// <summary>The manifest in <paramref name="folder"/>; an empty one when the file does not exist yet.</summary>
    public static BackboneManifest Open(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path)) return new BackboneManifest(folder, new JsonObject { ["format"] = Format, ["backbones"] = new JsonObject() });
        var node = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        if (node["format"]?.GetValue<string>() != Format)
            throw new InvalidDataException($"{path}: field 'format' is '{node["format"]}', expected '{Format}'");
        if (node["backbones"] is not JsonObject) throw new InvalidDataException($"{path}: field 'backbones' is missing");
        return new BackboneManifest(folder, node);
    }

    public IEnumerable<string> Names => ((JsonObject)root["backbones"]!).Select(kv => kv.Key);

    public JsonObject? Entry(string name) => root["backbones"]![name] as JsonObject;

    /// <summary>The entry, or an error saying which backbones the manifest has and how to make this one.</summary>
    public JsonObject Require(string name) => Entry(name) ?? throw new FileNotFoundException(
        $"{PathName}: no backbone '{name}' (has: {(Names.Any() ? string.Join(", ", Names) : "none")}); make it with `partial-lora pretrain` (see data/backbones/README.md)");

    public void SetEntry(string name, JsonObject entry) => root["backbones"]![name] = entry;

    /// <summary>Extra top-level sections (e.g. the few-shot baseline table).</summary>
    public JsonObject? Section(string key) => root[key] as JsonObject;

    public void SetSection(string key, JsonObject value) => root[key] = value;

    /// <summary>
    /// Reads the manifest in <paramref name="folder"/>, applies <paramref name="change"/> and saves it, holding an
    /// exclusive lock (<c>.manifest.lock</c>) throughout so that two publishing processes never lose each other's entry.
    /// </summary>
    public static BackboneManifest Update(string folder, Action<BackboneManifest> change)
    {
        Directory.CreateDirectory(folder);
        var lockPath = System.IO.Path.Combine(folder, ".manifest.lock");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            FileStream held;
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                Thread.Sleep(100);
                continue;
            }
            using (held)
            {
                var manifest = Open(folder);
                change(manifest);
                manifest.Save();
                return manifest;
            }
        }
    }

    public void Save() => AtomicFile.WriteAllText(PathName, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>The folder of backbone <paramref name="name"/> (its entry's <c>folder</c>, relative to the manifest).</summary>
    public string BackboneFolder(string name) =>
        System.IO.Path.Combine(Folder, Require(name)["folder"]?.GetValue<string>() ?? throw new InvalidDataException($"{PathName}: backbone '{name}' has no 'folder'"));

    /// <summary>
    /// Checks every file the entry lists against its SHA-256 and that the folder holds no other files. Throws naming
    /// the file and both hashes on a mismatch, or the missing file.
    /// </summary>
    public void Verify(string name)
    {
        var entry = Require(name);
        var folder = BackboneFolder(name);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: backbone '{name}' folder not found ({PathName} lists it)");
        var files = entry["files"] as JsonObject ?? throw new InvalidDataException($"{PathName}: backbone '{name}' has no 'files'");
        foreach (var (file, hash) in files)
        {
            var path = System.IO.Path.Combine(folder, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing; {PathName} lists it for backbone '{name}'", path);
            var actual = Sha256(path);
            var expected = hash?.GetValue<string>();
            if (actual != expected)
                throw new InvalidDataException($"{path}: SHA-256 is {actual}, {PathName} says {expected}; the file was changed or damaged (re-fetch it, or re-run the command in the manifest)");
        }
        foreach (var path in Directory.EnumerateFiles(folder))
            if (!files.ContainsKey(System.IO.Path.GetFileName(path)))
                throw new InvalidDataException($"{path}: not listed for backbone '{name}' in {PathName}");
    }

    public static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>{file name: SHA-256} of every file in <paramref name="folder"/>, sorted by name.</summary>
    public static JsonObject Hashes(string folder)
    {
        var o = new JsonObject();
        foreach (var path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            o[System.IO.Path.GetFileName(path)] = Sha256(path);
        return o;
    }
}
