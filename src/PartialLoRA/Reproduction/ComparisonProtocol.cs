using System.Text.Json.Nodes;
using PartialLoRA.Backbones;
using PartialLoRA.Data;
using PartialLoRA.Data.Registry;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.ModelProviders;
using PartialLoRA.Models;

namespace PartialLoRA.Reproduction;

/// <summary>
/// §5's protocol per notebook profile, for the vision (CLIP + few-shot image tasks) and language (DeBERTa-v3 + GLUE)
/// comparisons of §5.1–5.2:
/// <list type="bullet">
/// <item><c>smoke</c> — the lab backbones on CPU in about a minute: one task (CIFAR-10 with <see cref="SmokeShots"/>
/// shots per class, or SST-2 on a training subset), one seed, one learning rate, one or two epochs, a test subset,
/// adapters on the first block only (<see cref="SmokeVisionTargets"/>). Numbers from it show the pipeline works, not
/// how the methods rank.</item>
/// <item><c>lab</c> — §5's protocol on the lab backbones: every lab task (<see cref="FewShotBaselines"/>), 4 seeds × 5
/// learning rates, the engine's training defaults, top-5 mean.</item>
/// <item><c>paper</c> — §5's protocol on CLIP ViT-B/16 and DeBERTa-v3-base from <see cref="ModelsRoot"/> with the
/// paper's datasets (see <see cref="MissingPaperInputs"/>).</item>
/// </list>
/// </summary>
public static class ComparisonProtocol
{
    public const int SmokeShots = 4;
    public const int SmokeVisionEpochs = 2;
    public const int SmokeTextEpochs = 1;
    public const int SmokeBatchSize = 16;
    public const int SmokeVisionTestLimit = 100;
    public const int SmokeTextTestLimit = 200;
    public const int SmokeTextTrainLimit = 256;
    public const int SmokeTextMaxLength = 64;
    public const double SmokeTextFewShotRatio = 0.002;

    /// <summary>
    /// Smoke runs adapt the first block's attention projections only (every method, so all compare on the same
    /// layers): Algorithm 1's search then costs two layers' worth of passes over D_t instead of twelve. The first
    /// block, because on the lab backbones Algorithm 1 finds the last block's projections dispensable (0 rows and
    /// columns kept at τ = 0.9), which would leave nothing to show. Lab and paper runs use each method's PEFT
    /// default targets.
    /// </summary>
    public const string SmokeVisionTargets = @"vision_model\.encoder\.layers\.0\.self_attn\.(q_proj|v_proj)";

    public const string SmokeTextTargets = @"deberta\.encoder\.layer\.0\.attention\.self\.(query_proj|value_proj)";

    /// <summary>The one learning rate of smoke runs: a point of §5's grid (1e-4·50^(k/4), k = 3).</summary>
    public const double SmokeLearningRate = 1.88e-3;

    /// <summary>Where the paper's models are looked for: <c>$PARTIALLORA_MODELS</c>, else <c>./models</c>.</summary>
    public const string ModelsVariable = "PARTIALLORA_MODELS";

    public static string ModelsRoot() =>
        Environment.GetEnvironmentVariable(ModelsVariable) is { Length: > 0 } m ? Path.GetFullPath(m) : Path.GetFullPath("models");

    public const string PaperVisionModel = "clip-vit-b16";
    public const string PaperVisionFolder = "clip-vit-base-patch16";
    public const string PaperTextModel = "deberta-v3-base";
    public const string PaperTextFolder = "deberta-v3-base";

    /// <summary>Table 5's datasets in its column order (registry names).</summary>
    public static readonly IReadOnlyList<string> PaperVisionDatasets = ["pets", "flowers102", "cifar10", "cifar100", "fer2013", "gtsrb", "fgvc-aircraft", "imagenet"];

    /// <summary>Table 6's datasets in its column order.</summary>
    public static readonly IReadOnlyList<string> PaperTextDatasets = ["sst2", "qnli", "mrpc", "cola"];

    public static ComparisonSetup Vision(string name, ReproductionProfile profile, IReadOnlyList<ComparedMethod> methods, string? backbones = null) => profile switch
    {
        ReproductionProfile.Smoke => Smoke(name, LabModel(true, backbones),
            [new JsonObject { ["name"] = "cifar10", ["shots"] = SmokeShots, ["test_limit"] = SmokeVisionTestLimit }], methods, SmokeVisionTargets, SmokeVisionEpochs),
        ReproductionProfile.Lab => Full(name, LabModel(true, backbones),
            FewShotBaselines.VisionTasks.Select(t => new JsonObject { ["name"] = t.Task }).ToList(), methods),
        _ => Full(name, PaperModel(PaperVisionModel, PaperVisionFolder),
            PaperVisionDatasets.Select(d => new JsonObject { ["name"] = d }).ToList(), methods),
    };

    /// <summary>
    /// Language: Algorithm 1 derives on D_t (2% / 5% of the training split) and training uses the whole training split
    /// (§5); validation = test = GLUE dev. The lab profile trains QNLI on 80% of GLUE dev and tests on the rest (no QNLI
    /// training split offline).
    /// </summary>
    public static ComparisonSetup Language(string name, ReproductionProfile profile, IReadOnlyList<ComparedMethod> methods, string? backbones = null) => profile switch
    {
        ReproductionProfile.Smoke => Smoke(name, LabModel(false, backbones),
            [new JsonObject
            {
                ["name"] = "sst2", ["max_length"] = SmokeTextMaxLength, ["train_limit"] = SmokeTextTrainLimit,
                ["test_limit"] = SmokeTextTestLimit, ["few_shot_ratio"] = SmokeTextFewShotRatio,
            }], methods, SmokeTextTargets, SmokeTextEpochs),
        ReproductionProfile.Lab => Full(name, LabModel(false, backbones),
            FewShotBaselines.TextTasks.Select(t => t == "qnli" ? new JsonObject { ["name"] = t, ["dev_split"] = true } : new JsonObject { ["name"] = t }).ToList(), methods),
        _ => Full(name, PaperModel(PaperTextModel, PaperTextFolder),
            PaperTextDatasets.Select(d => new JsonObject { ["name"] = d }).ToList(), methods),
    };

    /// <summary>
    /// For the <c>paper</c> profile: what is missing of the paper's model and datasets, one line each saying where it goes
    /// (empty when everything is there). <paramref name="vision"/> selects CLIP + Table 5's datasets, else DeBERTa + Table 6's.
    /// </summary>
    /// <param name="datasets">Only these datasets (default: all of the table's).</param>
    public static IReadOnlyList<string> MissingPaperInputs(bool vision, string dataRoot, IEnumerable<string>? datasets = null)
    {
        var missing = new List<string>();
        var folder = Path.Combine(ModelsRoot(), vision ? PaperVisionFolder : PaperTextFolder);
        if (!File.Exists(Path.Combine(folder, HfModelFolder.ConfigFileName)) || !Directory.EnumerateFiles(folder, "*.safetensors*").Any())
            missing.Add($"model {(vision ? PaperVisionModel : PaperTextModel)}: no weights in {folder} (set ${ModelsVariable} to move the models root). {HfModelFolder.HowToSupply(folder)}");
        foreach (var name in datasets ?? (vision ? PaperVisionDatasets : PaperTextDatasets))
        {
            var info = DatasetRegistry.Get(name);
            try
            {
                if (info.IsImage) DatasetRegistry.Open(info, dataRoot);
                else DatasetRegistry.ReadGlue(name, "train", dataRoot);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                missing.Add($"dataset {name}: {e.Message}");
            }
        }
        return missing;
    }

    private static JsonObject LabModel(bool vision, string? backbones)
    {
        var o = new JsonObject { ["name"] = vision ? LabBackboneModel.VisionName : LabBackboneModel.TextName };
        if (backbones is not null) o["folder"] = backbones;
        return o;
    }

    private static JsonObject PaperModel(string preset, string folder) => new() { ["name"] = preset, ["checkpoint"] = Path.Combine(ModelsRoot(), folder) };

    private static ComparisonSetup Smoke(string name, JsonObject model, IReadOnlyList<JsonObject> datasets, IReadOnlyList<ComparedMethod> methods,
        string targets, int epochs) =>
        new(name + "-smoke", model, datasets, methods.Select(m => m with { Spec = WithTargets(m.Spec, targets) }).ToList(), [0], [SmokeLearningRate],
            new JsonObject { ["epochs"] = epochs, ["batch_size"] = SmokeBatchSize, ["patience"] = epochs }, 1);

    private static JsonObject WithTargets(JsonObject method, string targets)
    {
        var o = (JsonObject)method.DeepClone();
        o["target_modules"] = targets;
        return o;
    }

    private static ComparisonSetup Full(string name, JsonObject model, IReadOnlyList<JsonObject> datasets, IReadOnlyList<ComparedMethod> methods) =>
        new(name, model, datasets, methods, SweepSpec.DefaultSeeds, SweepSpec.DefaultLearningRates, new JsonObject(), SweepSpec.DefaultTopK);
}
