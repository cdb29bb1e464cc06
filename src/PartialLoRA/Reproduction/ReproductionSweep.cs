using System.Text.Json.Nodes;
using PartialLoRA.Data;
using PartialLoRA.Data.Registry;
using PartialLoRA.Experiments;
using PartialLoRA.Models;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using static TorchSharp.torch;

namespace PartialLoRA.Reproduction;

/// <summary>
/// The runs of one sweep spec as found in the results store after <see cref="ReproductionSweep.Run"/>: only the
/// runs whose keys the spec expands to (other notebooks' runs in the same store are ignored), summarised with
/// §5's protocol (top-k by validation, mean ± std).
/// </summary>
public sealed record SweepResult(SweepSpec Spec, IReadOnlyList<RunRecord> Runs, IReadOnlyList<SummaryRow> Summary, int Missing)
{
    /// <summary>The summary cell of a (dataset, method label), or null when the store has no run for it.</summary>
    public SummaryRow? Cell(string dataset, string label) => Summary.FirstOrDefault(r => r.Dataset == dataset && r.Method == label);

    /// <summary>The test score of a cell, by the dataset's selection metric (accuracy; Matthews correlation for CoLA).</summary>
    public static MeanStd Score(SummaryRow? row) =>
        row is not null && row.Test.TryGetValue(row.SelectionMetric, out var m) ? m : new MeanStd(double.NaN, double.NaN, 0);

    /// <summary>Lowest and highest test score over every finished run of a cell (Fig. 6's min–max band).</summary>
    public (double Min, double Max) Range(string dataset, string label)
    {
        var xs = Runs.Where(r => r.DatasetName == dataset && r.Label == label && r.Status == RunRecord.Ok && r.Test != null
                                 && r.Test.ContainsKey(r.SelectionMetric)).Select(r => r.Test![r.SelectionMetric]).ToList();
        return xs.Count == 0 ? (double.NaN, double.NaN) : (xs.Min(), xs.Max());
    }
}

/// <summary>
/// Runs a paper element's sweep through the engine (<see cref="SweepRunner"/>) into a results store, so finished
/// runs are reused by every notebook that plans the same run, and collects the spec's runs back. Also the pieces
/// of §5's protocol the reproduction specs share per profile.
/// </summary>
public static class ReproductionSweep
{
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
        return Collect(parsed, resultsDir);
    }

    /// <summary>The spec's runs found in the store (no training).</summary>
    public static SweepResult Collect(SweepSpec spec, string resultsDir)
    {
        var keys = spec.Expand(CodeVersion.Current).Select(r => r.Key).ToHashSet();
        var runs = ResultsStore.Load(resultsDir).Runs.Where(r => keys.Contains(r.Key)).ToList();
        return new SweepResult(spec, runs, ProtocolSummary.Summarize(runs, spec.TopK), keys.Count - runs.Count);
    }

    /// <summary>§5: 4 seeds in lab/paper; the notebook's seed alone in smoke.</summary>
    public static JsonArray Seeds(ReproductionProfile profile, long seed) =>
        profile == ReproductionProfile.Smoke ? [seed] : new JsonArray(SweepSpec.DefaultSeeds.Select(s => (JsonNode)s).ToArray());

    /// <summary>§5: 5 learning rates over 1e-4 … 5e-3 in lab/paper; one (1e-3, inside that range) in smoke.</summary>
    public static JsonArray LearningRates(ReproductionProfile profile) =>
        profile == ReproductionProfile.Smoke ? [1e-3] : new JsonArray(SweepSpec.DefaultLearningRates.Select(l => (JsonNode)l).ToArray());

    /// <summary>Training block: §5's defaults (20 epochs, batch 32, patience 5) in lab/paper; 3 epochs in smoke.</summary>
    public static JsonObject Training(ReproductionProfile profile) => profile == ReproductionProfile.Smoke
        ? new JsonObject { ["epochs"] = 3, ["batch_size"] = 32, ["patience"] = 3 }
        : new JsonObject { ["epochs"] = 20, ["batch_size"] = 32, ["patience"] = 5 };

    /// <summary>The vision model: the lab CLIP-ViT backbone (smoke, lab) or CLIP ViT-B/16 from <c>models/</c> (paper).</summary>
    public static JsonNode VisionModel(ReproductionProfile profile) => profile == ReproductionProfile.Paper
        ? new JsonObject { ["name"] = "clip-vit-b16", ["checkpoint"] = PaperVisionFolder }
        : "lab-vision";

    /// <summary>The text model: the lab DeBERTa-v3 backbone (smoke, lab) or DeBERTa-v3-base from <c>models/</c> (paper).</summary>
    public static JsonNode TextModel(ReproductionProfile profile) => profile == ReproductionProfile.Paper
        ? new JsonObject { ["name"] = "deberta-v3-base", ["checkpoint"] = PaperTextFolder }
        : "lab-text";

    public const string PaperVisionFolder = "models/clip-vit-base-patch16";
    public const string PaperTextFolder = "models/deberta-v3-base";

    /// <summary>Shots per class of an image dataset in smoke (the paper's 16 in lab/paper): Algorithm 1 and training scale with it.</summary>
    public const int SmokeShots = 4;

    /// <summary>
    /// A dataset entry; in smoke the test split is cut to a seeded subset of <paramref name="smokeTestRows"/> rows
    /// (and the training split to <paramref name="smokeTrainRows"/> when given), and image datasets use
    /// <see cref="SmokeShots"/> shots per class.
    /// </summary>
    public static JsonNode Dataset(string name, ReproductionProfile profile, int smokeTestRows = 300, int? smokeTrainRows = null,
        JsonObject? options = null)
    {
        var o = options is null ? new JsonObject() : (JsonObject)options.DeepClone();
        o["name"] = name;
        if (profile == ReproductionProfile.Smoke)
        {
            o["test_limit"] = smokeTestRows;
            if (DatasetRegistry.Get(name).IsImage && o["shots"] is null) o["shots"] = SmokeShots;
            if (smokeTrainRows is { } t) o["train_limit"] = t;
        }
        return o;
    }

    /// <summary>Which of <paramref name="datasets"/> the data root holds; the others with how to get them.</summary>
    public static (IReadOnlyList<string> Present, IReadOnlyList<string> Missing) Available(IEnumerable<string> datasets, string? dataRoot = null)
    {
        var root = DataRoot.Resolve(dataRoot);
        var present = new List<string>();
        var missing = new List<string>();
        foreach (var d in datasets)
            try
            {
                DatasetRegistry.Open(DatasetRegistry.Get(d), root);
                present.Add(d);
            }
            catch (DatasetNotFoundException e)
            {
                missing.Add($"{d}: {e.Message}");
            }
        return (present, missing);
    }

    /// <summary>
    /// What the paper profile lacks: each model folder without <c>config.json</c> (with how to supply it) and each
    /// dataset the data root does not hold. Empty when everything is there.
    /// </summary>
    public static IReadOnlyList<string> MissingPaperAssets(IEnumerable<string> modelFolders, IEnumerable<string> datasets, string? dataRoot = null)
    {
        var missing = new List<string>();
        foreach (var folder in modelFolders)
            if (!File.Exists(Path.Combine(folder, HfModelFolder.ConfigFileName)))
                missing.Add($"model weights: {Path.GetFullPath(folder)} is missing. {HfModelFolder.HowToSupply(folder)}");
        missing.AddRange(Available(datasets, dataRoot).Missing.Select(m => "dataset " + m));
        return missing;
    }

    /// <summary>One line per run: what runs, then its validation/test scores, parameters and time.</summary>
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
