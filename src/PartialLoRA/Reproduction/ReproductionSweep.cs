using System.Text.Json.Nodes;
using PartialLoRA.Data.Registry;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.ModelProviders;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using static TorchSharp.torch;

namespace PartialLoRA.Reproduction;

/// <summary>Which of the paper's two settings a sweep belongs to: vision (CLIP + few-shot image tasks) or language (DeBERTa-v3 + GLUE).</summary>
public enum Modality
{
    Vision,
    Text,
}

/// <summary>
/// The one way a paper element's training runs are made: <see cref="Spec"/> builds the engine's sweep spec for a
/// profile (model, datasets, the element's methods, and the shared tail — seeds, learning rates, training settings,
/// top-k), <see cref="Run"/> runs what the results store lacks through <see cref="SweepRunner"/> and reads the spec's
/// runs back (<see cref="SweepResult"/>), so every notebook that plans the same run reuses it.
/// <list type="bullet">
/// <item><c>smoke</c> — the lab backbones on CPU in minutes: one seed (the notebook's), one learning rate, a few epochs;
/// vision: <see cref="SmokeShots"/> shots per class, a seeded test subset, the first block's attention projections
/// (<see cref="SmokeVisionTargets"/>; the first two for Fig. 5 and App. H, <see cref="SmokeVisionTwoBlockTargets"/>); language: SST-2-sized subsets, the first layer's (<see cref="SmokeTextTargets"/>).</item>
/// <item><c>lab</c> — §5's protocol on the lab backbones: 4 seeds × 5 learning rates, the engine's training defaults
/// (20 epochs, batch 32, patience 5), top-5 mean, 16 shots (Flowers 6), whole test splits.</item>
/// <item><c>paper</c> — the same protocol on the paper's models (<see cref="PaperModels"/>) and datasets.</item>
/// </list>
/// </summary>
public static class ReproductionSweep
{
    /// <summary>Shots per class of an image dataset in smoke (§5's 16, so D_t and the training set are the paper's size).</summary>
    public const int SmokeShots = 16;

    /// <summary>Test images in smoke: a seeded subset large enough that a few points of accuracy are more than noise.</summary>
    public const int SmokeVisionTestLimit = 1000;

    public const int SmokeVisionEpochs = 3;
    public const int SmokeTextEpochs = 1;
    public const int SmokeBatchSize = 16;

    /// <summary>The one learning rate of smoke runs: the top of §5's grid (1e-4·50^(k/4), k = 4).</summary>
    public const double SmokeLearningRate = 5e-3;

    public const int SmokeTextTrainLimit = 256;
    public const int SmokeTextTestLimit = 300;
    public const int SmokeTextMaxLength = 64;
    public const double SmokeTextFewShotRatio = 0.002;

    /// <summary>
    /// Smoke adapts the first block's (layer's) attention projections only (every method without its own targets, so
    /// all compare on the same layers): Algorithm 1's search then costs two layers' passes over D_t. The first block,
    /// because on the lab backbones Algorithm 1 finds the later blocks' projections dispensable (0 rows and columns kept
    /// at τ = 0.9). Lab and paper runs use each method's PEFT default targets.
    /// </summary>
    public const string SmokeVisionTargets = @"vision_model\.encoder\.layers\.0\.self_attn\.(q_proj|v_proj)";

    public const string SmokeTextTargets = @"deberta\.encoder\.layer\.0\.attention\.self\.(query_proj|value_proj)";

    /// <summary>
    /// The first two blocks' attention projections: smoke's targets for the elements whose methods differ only across
    /// blocks — App. H's flow preservation (block 0's rows read by block 1) and Fig. 5's Pyramidal p^l (p^1 alone is
    /// Balanced at density p).
    /// </summary>
    public const string SmokeVisionTwoBlockTargets = @"vision_model\.encoder\.layers\.[01]\.self_attn\.(q_proj|v_proj)";

    /// <summary>In smoke, <paramref name="methods"/> with <paramref name="targets"/> where they name none; otherwise unchanged.</summary>
    public static IEnumerable<JsonObject> SmokeTargets(IEnumerable<JsonObject> methods, ReproductionProfile profile, string targets) =>
        methods.Select(m =>
        {
            if (profile != ReproductionProfile.Smoke || m.ContainsKey("target_modules")) return m;
            var o = (JsonObject)m.DeepClone();
            o["target_modules"] = targets;
            return o;
        });

    /// <summary>§5: 4 seeds in lab/paper; the notebook's seed alone in smoke.</summary>
    public static IReadOnlyList<long> Seeds(ReproductionProfile profile, long seed) =>
        profile == ReproductionProfile.Smoke ? [seed] : SweepSpec.DefaultSeeds;

    /// <summary>§5: 5 learning rates over 1e-4 … 5e-3 in lab/paper; <see cref="SmokeLearningRate"/> in smoke.</summary>
    public static IReadOnlyList<double> LearningRates(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? [SmokeLearningRate] : SweepSpec.DefaultLearningRates;

    /// <summary>The training block: the engine's (= §5's) defaults in lab/paper; a few epochs in smoke.</summary>
    public static JsonObject Training(ReproductionProfile profile, Modality modality)
    {
        if (profile != ReproductionProfile.Smoke) return new JsonObject();
        var epochs = modality == Modality.Vision ? SmokeVisionEpochs : SmokeTextEpochs;
        return new JsonObject { ["epochs"] = epochs, ["batch_size"] = SmokeBatchSize, ["patience"] = epochs };
    }

    /// <summary>Top-k of §5's summary: the single run in smoke, 5 otherwise.</summary>
    public static int TopK(ReproductionProfile profile) => profile == ReproductionProfile.Smoke ? 1 : SweepSpec.DefaultTopK;

    /// <summary>
    /// The model: the lab backbone (smoke, lab; <paramref name="backbones"/> overrides its folder) or the paper's model
    /// from <see cref="PaperModels"/>.
    /// </summary>
    public static JsonObject Model(ReproductionProfile profile, Modality modality, string? backbones = null)
    {
        if (profile == ReproductionProfile.Paper) return (modality == Modality.Vision ? PaperModels.Clip : PaperModels.Deberta).Model();
        var o = new JsonObject { ["name"] = modality == Modality.Vision ? LabBackboneModel.VisionName : LabBackboneModel.TextName };
        if (backbones is not null) o["folder"] = backbones;
        return o;
    }

    /// <summary>
    /// A dataset entry with <paramref name="options"/>; in smoke an image dataset takes <see cref="SmokeShots"/> shots
    /// and a <see cref="SmokeVisionTestLimit"/>-image test subset, a GLUE task the smoke text subsets — each unless
    /// <paramref name="options"/> sets it.
    /// </summary>
    public static JsonObject Dataset(string name, ReproductionProfile profile, JsonObject? options = null)
    {
        var o = options is null ? new JsonObject() : (JsonObject)options.DeepClone();
        o["name"] = name;
        if (profile != ReproductionProfile.Smoke) return o;
        void Default(string field, JsonNode value)
        {
            if (!o.ContainsKey(field)) o[field] = value;
        }
        if (DatasetRegistry.Get(name).IsImage)
        {
            Default("shots", SmokeShots);
            Default("test_limit", SmokeVisionTestLimit);
        }
        else
        {
            Default("max_length", SmokeTextMaxLength);
            Default("train_limit", SmokeTextTrainLimit);
            Default("test_limit", SmokeTextTestLimit);
            Default("few_shot_ratio", SmokeTextFewShotRatio);
        }
        return o;
    }

    /// <summary>
    /// The sweep spec <c>&lt;name&gt;-&lt;profile&gt;</c>: <paramref name="model"/> (default <see cref="Model"/>),
    /// <paramref name="datasets"/> (entries from <see cref="Dataset"/>), <paramref name="methods"/> (engine method
    /// objects, each with its <c>label</c>) and the profile's seeds, learning rates, training settings and top-k.
    /// </summary>
    public static JsonObject Spec(string name, ReproductionProfile profile, Modality modality, long seed, IEnumerable<JsonNode> datasets,
        IEnumerable<JsonObject> methods, JsonNode? model = null) => new()
    {
        ["name"] = $"{name}-{profile.ToString().ToLowerInvariant()}",
        ["model"] = model?.DeepClone() ?? Model(profile, modality),
        ["datasets"] = new JsonArray(datasets.Select(d => d.DeepClone()).ToArray()),
        ["methods"] = new JsonArray(methods.Select(m => (JsonNode)Targets(m, profile, modality)).ToArray()),
        ["seeds"] = new JsonArray(Seeds(profile, seed).Select(s => (JsonNode)s).ToArray()),
        ["learning_rates"] = new JsonArray(LearningRates(profile).Select(l => (JsonNode)l).ToArray()),
        ["training"] = Training(profile, modality),
        ["top_k"] = TopK(profile),
    };

    private static JsonObject Targets(JsonObject method, ReproductionProfile profile, Modality modality)
    {
        var o = (JsonObject)method.DeepClone();
        // the references without adapters (full fine-tuning, linear probe) have no targets
        if (profile == ReproductionProfile.Smoke && !o.ContainsKey("target_modules") && o["name"]?.GetValue<string>() is not ("full" or "linear-probe"))
            o["target_modules"] = modality == Modality.Vision ? SmokeVisionTargets : SmokeTextTargets;
        return o;
    }

    /// <summary>Validates the spec against the built-in catalog (every error names the field).</summary>
    public static SweepSpec Parse(JsonObject spec, string? dataRoot = null) =>
        SweepSpec.Parse(spec.ToJsonString(), spec["name"]?.GetValue<string>() ?? "reproduction", BuiltInCatalog.Create(dataRoot));

    /// <summary>
    /// Runs every run of <paramref name="spec"/> not yet in <paramref name="resultsDir"/>, one progress line per run on
    /// <paramref name="log"/>, then returns the spec's runs. <paramref name="cacheDir"/>: Algorithm 1's plan cache
    /// (default <see cref="CacheFolder.Resolve"/>).
    /// </summary>
    public static SweepResult Run(JsonObject spec, string resultsDir, string? dataRoot = null, Device? device = null,
        string? cacheDir = null, TextWriter? log = null, CancellationToken cancel = default)
    {
        var catalog = BuiltInCatalog.Create(dataRoot);
        var parsed = SweepSpec.Parse(spec.ToJsonString(), spec["name"]?.GetValue<string>() ?? "reproduction", catalog);
        using (var executor = new RunExecutor(catalog, device ?? TorchRuntime.Device, CacheFolder.Resolve(cacheDir)))
            SweepRunner.Run(parsed, resultsDir, null, executor, log is null ? null : new LineObserver(log), cancel);
        return SweepResult.Collect(parsed, resultsDir);
    }

    /// <summary>One line per run: what runs, then its test score, parameters and time.</summary>
    private sealed class LineObserver(TextWriter log) : ISweepObserver
    {
        private int total;

        public void Started(SweepOutcome plan, IReadOnlyList<PlannedRun> todo)
        {
            total = todo.Count;
            log.WriteLine($"{plan.Planned} runs planned, {plan.AlreadyFinished} found in the results store, {todo.Count} to train");
        }

        public void RunStarting(int index, PlannedRun run) { }

        public void RunProgress(int index, PlannedRun run, TrainingProgress progress) { }

        public void RunFinished(int index, PlannedRun run, RunRecord record)
        {
            var score = record.Test?.TryGetValue(record.SelectionMetric, out var t) == true ? $"test {record.SelectionMetric} {t:P1}" : record.Status;
            log.WriteLine($"[{index + 1}/{total}] {run.Config.Dataset.Name} · {run.Label} · seed {run.Config.Seed} · lr {run.Config.LearningRate:G3}: " +
                          $"{score}, {record.TrainableParameters:N0} trainable, {record.WallSeconds:F1} s");
        }
    }
}
