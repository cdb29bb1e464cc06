using System.Collections.Concurrent;
using PartialLoRA.Checkpoints;
using PartialLoRA.Data.Images;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Text;

namespace PartialLoRA.Backbones;

/// <summary>
/// The project's own pretrained lab backbones (committed under <c>data/backbones/</c>, see its README): the entry
/// point for notebooks and the experiment engine. Every load first checks the files' SHA-256 against
/// <c>manifest.json</c>; a missing folder, manifest, entry or file is an error that says what is missing and which
/// command makes it. Models come back in f32 on the CPU (call <c>.to(device)</c>).
/// </summary>
public static class LabBackbones
{
    public const string VisionName = VisionPublisher.DefaultName;
    public const string TextName = TextPublisher.DefaultName;

    /// <summary>Overrides where the backbones are looked for.</summary>
    public const string FolderVariable = "PARTIALLORA_BACKBONES";

    /// <summary>The folder relative to the repository root.</summary>
    public static readonly string RelativeFolder = Path.Combine("data", "backbones");

    /// <summary>The preprocessing the vision backbone was trained with: RGB, stretched to 32×32, CLIP mean/std.</summary>
    public static ImagePreset VisionPreset(bool augment = false) => ImagePreset.Lab(32, augment);

    /// <summary>
    /// The backbones folder: <paramref name="folder"/>, else <c>$PARTIALLORA_BACKBONES</c>, else the first
    /// <c>data/backbones</c> holding a manifest above the current directory or above this library's location.
    /// </summary>
    public static string Folder(string? folder = null)
    {
        if (!string.IsNullOrWhiteSpace(folder)) return Path.GetFullPath(folder);
        if (Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } env) return Path.GetFullPath(env);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, RelativeFolder);
                if (File.Exists(Path.Combine(candidate, BackboneManifest.FileName))) return candidate;
            }
        throw new DirectoryNotFoundException(
            $"no {RelativeFolder}/{BackboneManifest.FileName} found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}; " +
            $"pass the folder, set ${FolderVariable}, or make the backbones with `partial-lora pretrain vision` and `partial-lora pretrain text`");
    }

    public static BackboneManifest Manifest(string? folder = null)
    {
        var f = Folder(folder);
        if (!File.Exists(Path.Combine(f, BackboneManifest.FileName)))
            throw new FileNotFoundException($"{Path.Combine(f, BackboneManifest.FileName)}: missing; make the backbones with `partial-lora pretrain vision|text --backbones {f}`");
        return BackboneManifest.Open(f);
    }

    private static readonly ConcurrentDictionary<string, string> Verified = new();

    /// <summary>The verified folder of backbone <paramref name="name"/> (SHA-256 checked once per process and file state).</summary>
    public static string VerifiedFolder(string name, string? folder = null)
    {
        var manifest = Manifest(folder);
        var path = manifest.BackboneFolder(name);
        var stamp = Directory.Exists(path)
            ? string.Join(";", Directory.EnumerateFiles(path).Order(StringComparer.Ordinal).Select(f => $"{f}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}"))
              + File.GetLastWriteTimeUtc(manifest.PathName).Ticks
            : "";
        if (!Verified.TryGetValue(path, out var seen) || seen != stamp)
        {
            manifest.Verify(name);
            Verified[path] = stamp;
        }
        return path;
    }

    /// <summary>
    /// The vision backbone (CLIP vision tower + visual_projection) under a new classifier for <paramref name="labels"/>
    /// (seeded; initialise it with <see cref="ClassMeanHead.Initialize(ClipVisionClassifier, Data.ClassificationSet, Data.IBatchTransform?, double)"/>).
    /// </summary>
    public static ClipVisionClassifier Vision(IReadOnlyList<string> labels, string? folder = null, long seed = 0)
    {
        var path = VerifiedFolder(VisionName, folder);
        var cfg = HfModelFolder.ReadConfig(path);
        if (HfModelFolder.ModelType(cfg) != ClipVisionClassifier.SavedModelType)
            throw new InvalidDataException($"{cfg.Source}: model_type is '{HfModelFolder.ModelType(cfg)}', expected '{ClipVisionClassifier.SavedModelType}'");
        var vision = ClipVisionConfig.FromJson(cfg.ObjectOrNull("vision_config") ?? throw new InvalidDataException($"{cfg.Source}: field 'vision_config' is missing"));
        var projection = cfg.IntOrNull("projection_dim") ?? throw new InvalidDataException($"{cfg.Source}: field 'projection_dim' is missing");
        var model = new ClipVisionClassifier(vision, projection, labels, cfg.Bool("normalize_features", true), seed);
        try
        {
            using var ck = TensorCheckpoint.Open(path);
            const string fresh = "(fresh) ";
            var report = StateDictLoader.Load(model, ck, strict: false,
                nameMap: n => n.StartsWith("classifier.", StringComparison.Ordinal) ? fresh + n : n,
                ignore: n => n.StartsWith("classifier.", StringComparison.Ordinal));
            var missing = report.Missing.Where(m => !m.StartsWith(fresh, StringComparison.Ordinal)).ToList();
            if (missing.Count > 0 || report.Unexpected.Count > 0)
                throw new InvalidDataException($"{path}: not a CLIP vision backbone (missing {string.Join(", ", missing)}; unexpected {string.Join(", ", report.Unexpected)})");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The vision backbone with its CIFAR-10 pretraining head, as committed.</summary>
    public static ClipVisionClassifier VisionPretrainingClassifier(string? folder = null) =>
        (ClipVisionClassifier)ModelRegistry.LoadClassifier(VerifiedFolder(VisionName, folder)).Model;

    /// <summary>
    /// The text backbone as a DeBERTa sequence classifier for <paramref name="labels"/>: the pretrained encoder, a
    /// seeded pooler and classifier (initialise the classifier with
    /// <see cref="ClassMeanHead.Initialize(DebertaV2ForSequenceClassification, Data.ClassificationSet)"/>).
    /// </summary>
    public static DebertaV2ForSequenceClassification Text(IReadOnlyList<string> labels, string? folder = null, long seed = 0)
    {
        var path = VerifiedFolder(TextName, folder);
        var (model, _) = ModelRegistry.LoadClassifier(path, labels, strict: true, seed: seed);
        return (DebertaV2ForSequenceClassification)model;
    }

    /// <summary>The text backbone with its tied MLM head, as committed.</summary>
    public static DebertaV2ForMaskedLM TextMaskedLM(string? folder = null) => ModelRegistry.LoadMaskedLM(VerifiedFolder(TextName, folder)).Model;

    /// <summary>The text backbone's tokenizer (BERT uncased WordPiece, vocab.txt in the backbone folder).</summary>
    public static BertWordPieceTokenizer Tokenizer(string? folder = null) => (BertWordPieceTokenizer)TokenizerFolder.Load(VerifiedFolder(TextName, folder));
}
