using System.Text.Json.Nodes;

namespace PartialLoRA.Backbones;

/// <summary>
/// A published backbone that a pretraining run starts from instead of a random initialisation: a warm restart
/// (SGDR-style) with fresh optimiser moments and a new warm-up + cosine. Only a folder listed in the manifest beside
/// it is accepted, with files matching their SHA-256, and only when its entry shows the same kind, dataset and
/// validation hold-out (fraction and seed) as the new run, so the continued run never trains on the images it
/// validates on. The entry is kept whole as the new backbone's provenance.
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
        var entry = manifest.Require(name);
        var sha = entry["files"]?["model.safetensors"]?.GetValue<string>()
                  ?? throw new InvalidDataException($"{manifest.PathName}: backbone '{name}' lists no model.safetensors");
        return new PretrainInit(full, name, sha, (JsonObject)entry.DeepClone());
    }

    /// <summary>Throws unless the backbone was pretrained as <paramref name="kind"/> on the same dataset and hold-out.</summary>
    public void CheckSameHoldOut(string kind, string dataset, double validationFraction, long seed)
    {
        var where = $"--init-from {Folder} (manifest entry '{Name}')";
        var was = (Kind: Entry["kind"]?.GetValue<string>(), Dataset: Entry["options"]?["dataset"]?.GetValue<string>(),
            Fraction: Entry["options"]?["validation_fraction"]?.GetValue<double>(), Seed: Entry["seed"]?.GetValue<long>());
        if (was.Kind != kind) throw new ArgumentException($"{where}: a '{was.Kind}' backbone, this is a '{kind}' run");
        if (was.Dataset != dataset || was.Fraction != validationFraction || was.Seed != seed)
            throw new ArgumentException(
                $"{where}: pretrained on {was.Dataset} with validation_fraction {was.Fraction} and seed {was.Seed}, this run has {dataset}, " +
                $"{validationFraction} and seed {seed}; its training images would overlap this run's validation hold-out");
    }

    /// <summary>Salt of the continued run's data-order and augmentation streams (a different stream from the first run's).</summary>
    public string StreamTag => "init:" + WeightsSha256[..16];

    /// <summary>What the run's options record (and a resumed run must match).</summary>
    public JsonObject ToJson() => new() { ["backbone"] = Name, ["model_safetensors_sha256"] = WeightsSha256 };

    /// <summary>Training wall time of the chain this backbone ends: its own plus that of whatever it was initialised from.</summary>
    public double ChainWallSeconds =>
        Entry["train_wall_seconds_total"]?.GetValue<double>() ?? Entry["train_wall_seconds"]?.GetValue<double>() ?? 0;

    /// <summary>Epochs of the chain this backbone ends.</summary>
    public int ChainEpochs => Entry["epochs_total"]?.GetValue<int>() ?? Entry["epochs"]?.GetValue<int>() ?? 0;
}
