using System.Text.Json.Nodes;

namespace PartialLoRA.Backbones;

/// <summary>
/// A published backbone that a pretraining run starts from instead of a random initialisation: a warm restart
/// (SGDR-style) with fresh optimiser moments and a new warm-up + cosine. Only a folder listed in the manifest beside
/// it is accepted, with files matching their SHA-256, and only when its entry shows the same kind, seed and hold-out
/// options as the new run (<see cref="CheckSameHoldOut"/>), so the continued run never trains on what it validates
/// on. The entry is kept whole as the new backbone's provenance (<see cref="RecordChain"/>).
/// </summary>
public sealed record PretrainInit(string Folder, string Name, string WeightsSha256, JsonObject Entry)
{
    /// <summary>Reads and verifies the published backbone in <paramref name="folder"/> (e.g. data/backbones/clip-vit-lab-cifar10).</summary>
    public static PretrainInit Open(string folder)
    {
        var full = Path.GetFullPath(folder.TrimEnd('/', '\\'));
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"--init-from {folder}: folder not found");
        var manifest = BackboneManifest.Open(Path.GetDirectoryName(full)!);
        var dir = Path.GetFileName(full);
        var name = manifest.Names.FirstOrDefault(n => manifest.Entry(n)!["folder"]?.GetValue<string>() == dir)
                   ?? throw new FileNotFoundException(
                       $"--init-from {folder}: not listed in {manifest.PathName}; a run continues only from a published backbone " +
                       "(its manifest entry records the data and hold-out it was trained on)", manifest.PathName);
        manifest.Verify(name);
        var entry = manifest.Entry(name)!;
        var sha = entry["files"]?["model.safetensors"]?.GetValue<string>()
                  ?? throw new InvalidDataException($"{manifest.PathName}: backbone '{name}' lists no model.safetensors");
        return new PretrainInit(full, name, sha, (JsonObject)entry.DeepClone());
    }

    /// <summary>
    /// Throws unless the backbone was pretrained as <paramref name="kind"/> with the same seed and the same values of
    /// the <paramref name="holdOut"/> options (those that decide which examples are held out).
    /// </summary>
    public void CheckSameHoldOut(string kind, long seed, params (string Field, JsonNode? Value)[] holdOut)
    {
        var where = $"--init-from {Folder} (manifest entry '{Name}')";
        var wasKind = Entry["kind"]?.GetValue<string>();
        if (wasKind != kind) throw new ArgumentException($"{where}: a '{wasKind}' backbone, this is a '{kind}' run");
        var differ = holdOut.Where(f => !JsonNode.DeepEquals(Entry["options"]?[f.Field], f.Value))
            .Select(f => $"{f.Field} {Entry["options"]?[f.Field]?.ToJsonString() ?? "absent"} there, {f.Value?.ToJsonString() ?? "absent"} here").ToList();
        var wasSeed = Entry["seed"]?.GetValue<long>();
        if (wasSeed != seed) differ.Insert(0, $"seed {wasSeed?.ToString() ?? "absent"} there, {seed} here");
        if (differ.Count > 0)
            throw new ArgumentException($"{where}: {string.Join("; ", differ)}: its training examples would overlap this run's held-out ones");
    }

    /// <summary>Copies the backbone's weights into <paramref name="model"/> (same architecture and sizes, else an error naming the tensor).</summary>
    public void LoadInto(Models.IHfModel model, string kind, TextWriter log)
    {
        var report = Models.HfModelFolder.LoadWeights(model, Folder, strict: true);
        log.WriteLine($"{kind}: initialised from {Folder} ('{Name}', {ChainEpochs} epochs; {report.Summary()})");
    }

    /// <summary>Adds to a new manifest entry the chain it continues: totals, and the whole entry of the backbone it started from.</summary>
    public static void RecordChain(JsonObject entry, PretrainInit? init, PretrainRunInfo run)
    {
        if (init is null) return;
        entry["epochs_total"] = init.ChainEpochs + run.EpochsTrained;
        entry["train_wall_seconds_total"] = Math.Round(init.ChainWallSeconds + run.ElapsedSeconds, 1);
        entry["initialised_from"] = init.Entry.DeepClone();
    }

    /// <summary>Salt of the continued run's data-order and augmentation streams (a different stream from the first run's).</summary>
    public string StreamTag => "init:" + WeightsSha256[..16];

    /// <summary>
    /// <paramref name="options"/> with the start backbone recorded (a resumed run must match it); unchanged for a run
    /// from random initialisation, so such runs keep the options (and restart states) they had.
    /// </summary>
    public static JsonObject Record(JsonObject options, PretrainInit? init)
    {
        if (init is not null) options["initialised_from"] = new JsonObject { ["backbone"] = init.Name, ["model_safetensors_sha256"] = init.WeightsSha256 };
        return options;
    }

    /// <summary>Training wall time of the chain this backbone ends: its own plus that of whatever it was initialised from.</summary>
    public double ChainWallSeconds =>
        Entry["train_wall_seconds_total"]?.GetValue<double>() ?? Entry["train_wall_seconds"]?.GetValue<double>() ?? 0;

    /// <summary>Epochs of the chain this backbone ends.</summary>
    public int ChainEpochs => Entry["epochs_total"]?.GetValue<int>() ?? Entry["epochs"]?.GetValue<int>() ?? 0;
}
