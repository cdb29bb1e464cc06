using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PartialLoRA.Backbones;
using PartialLoRA.Data.Images;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments.ModelProviders;

/// <summary>
/// The project's pretrained lab backbones (<see cref="LabBackbones"/>) as engine models: <c>lab-vision</c> (the
/// CLIP-ViT vision tower + visual projection, images at the backbone's own size, <c>lab32</c>) and <c>lab-text</c>
/// (the DeBERTa-v3 encoder with its WordPiece tokenizer). The task head stands in for the paper's prompt-initialised
/// head: with <c>head: "class-mean"</c> (default) it is built from the class means of the task's few-shot TRAIN set
/// D_t (<see cref="ClassMeanHead"/>), so the untrained model is the μ of Algorithm 1; <c>"random"</c> keeps the
/// seeded initialisation. Options: <c>folder</c> (the backbones folder; default <see cref="LabBackbones.Folder"/>,
/// not part of the run key), <c>head</c>, <c>init_seed</c> (0: the fresh head and, for text, the pooler). The
/// weights' identity in run keys is a SHA-256 over the manifest's file hashes of that backbone, so new backbones
/// mean new runs.
/// </summary>
public sealed class LabBackboneModel : IModelProvider
{
    public const string VisionName = "lab-vision";
    public const string TextName = "lab-text";
    public const string ClassMeanHeadName = "class-mean";
    public const string RandomHeadName = "random";

    private readonly bool vision;

    private LabBackboneModel(bool vision) => this.vision = vision;

    public static LabBackboneModel Vision() => new(true);
    public static LabBackboneModel Text() => new(false);

    public string Name => vision ? VisionName : TextName;

    public string Description => vision
        ? "lab CLIP-ViT vision backbone (data/backbones, pretrained by the project on CIFAR-10), head from the few-shot class means"
        : "lab DeBERTa-v3 text encoder (data/backbones, MLM-pretrained by the project on GLUE text) + WordPiece tokenizer, head from the few-shot class means";

    private string Backbone => vision ? LabBackbones.VisionName : LabBackbones.TextName;

    public JsonObject Normalize(JsonFields o)
    {
        var given = o.OptionalString("folder");
        string folder;
        try
        {
            folder = LabBackbones.Folder(given);
            LabBackbones.Manifest(folder).Require(Backbone);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw o.Error(o.FieldPath("folder"), $"model {Name}: {e.Message}");
        }
        var head = o.String("head", ClassMeanHeadName);
        if (head is not (ClassMeanHeadName or RandomHeadName))
            throw o.Error(o.FieldPath("head"), $"'{head}': expected \"{ClassMeanHeadName}\" or \"{RandomHeadName}\"");
        var n = new JsonObject
        {
            // Moved out of the options (and the run key) by the catalog; the manifest hashes identify the weights.
            ["checkpoint"] = folder,
            ["head"] = head,
            ["init_seed"] = o.Long("init_seed", 0),
        };
        o.RejectUnknown();
        return n;
    }

    /// <summary>SHA-256 over the sorted "file\tsha256" lines of the backbone's manifest entry.</summary>
    public string CheckpointSha256(JsonObject options) => ManifestSha256(Backbone, FolderOf(options["checkpoint"]?.GetValue<string>()));

    public static string ManifestSha256(string backbone, string folder)
    {
        var files = LabBackbones.Manifest(folder).Require(backbone)["files"] as JsonObject
                    ?? throw new InvalidDataException($"{Path.Combine(folder, BackboneManifest.FileName)}: backbone '{backbone}' has no 'files'");
        var listing = new StringBuilder();
        foreach (var (file, hash) in files.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            listing.Append(file).Append('\t').Append(hash?.GetValue<string>()).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
    }

    public ModelInputs Inputs(ModelSpec spec)
    {
        var folder = FolderOf(spec.CheckpointPath);
        if (vision)
        {
            var config = HfModelFolder.ReadConfig(LabBackbones.VerifiedFolder(Backbone, folder));
            var size = ClipVisionConfig.FromJson(config.ObjectOrNull("vision_config")
                       ?? throw new InvalidDataException($"{config.Source}: field 'vision_config' is missing")).ImageSize;
            return new ModelInputs(InputKind.Image, ImagePreset.Lab(size).Name);
        }
        var vocab = LabBackbones.Manifest(folder).Require(Backbone)["files"]?["vocab.txt"]?.GetValue<string>() ?? "";
        return new ModelInputs(InputKind.Text, Tokenizer: LabBackbones.Tokenizer(folder), TokenizerKey: "lab-text-wordpiece:" + vocab);
    }

    public ModelHandle Build(ModelSpec spec, TrainingTask task, Device device)
    {
        var folder = FolderOf(spec.CheckpointPath);
        var seed = JsonFields.GetLong(spec.Options, "init_seed");
        var classMeans = spec.Options["head"]?.GetValue<string>() == ClassMeanHeadName;
        var fewShot = classMeans ? FewShotSet(task) : null;
        IBlockwiseClassifier model = vision ? LabBackbones.Vision(task.ClassNames, folder, seed) : LabBackbones.Text(task.ClassNames, folder, seed);
        try
        {
            if (fewShot is not null)
            {
                // ClassMeanHead evaluates on the runtime's device; the run may live elsewhere.
                model.Module.to(TorchRuntime.Device);
                if (model is ClipVisionClassifier clip) ClassMeanHead.Initialize(clip, fewShot.Set, fewShot.Transform);
                else ClassMeanHead.Initialize((Models.Deberta.DebertaV2ForSequenceClassification)model, fewShot.Set);
            }
            model.Module.to(device);
        }
        catch
        {
            model.Module.Dispose();
            throw;
        }
        var family = vision ? ModelFamily.Clip : ModelFamily.Deberta;
        return new ModelHandle(model, Name, PresetModel.HeadModules(family),
            method => ModelRegistry.TargetModules(family, method.Contains("adalora", StringComparison.Ordinal) ? "adalora" : "lora"));
    }

    private ClassificationSetBatches FewShotSet(TrainingTask task) =>
        task.FewShot as ClassificationSetBatches ?? throw new InvalidOperationException(
            $"model {Name}: head \"{ClassMeanHeadName}\" is built from the task's few-shot set, and dataset {task.Name} has " +
            (task.FewShot is null ? "none" : "one that is not a data-layer set") + "; use a registry dataset or \"head\": \"random\"");

    private static string FolderOf(string? folder) => LabBackbones.Folder(folder);
}
