using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Experiments;

/// <summary>One run of a sweep: its configuration and the label its method is reported under.</summary>
public sealed record PlannedRun(RunConfig Config, string Label)
{
    public string Key { get; } = Config.Key;
}

/// <summary>
/// A sweep as a JSON file: the grid datasets × methods × seeds × learning rates on one model, the training
/// settings and the reporting protocol. Defaults are §5's protocol: 20 runs per (method, dataset) = 4 seeds
/// {0, 1, 2, 3} × 5 learning rates log-spaced over 1e-4 … 5e-3 (1e-4, 2.66e-4, 7.07e-4, 1.88e-3, 5e-3: the
/// five points 1e-4·50^(k/4), to three digits), reported as the mean of the top 5 by validation score.
/// <code>
/// {
///   "name": "vision-lora",
///   "model": {"name": "lab-clip", "checkpoint": "models/lab-clip"},
///   "datasets": ["cifar10", {"name": "gtsrb", "shots": 16}],
///   "methods": ["lora", {"name": "partial-lora", "rank": 8, "label": "Partial-LoRA r8"}],
///   "seeds": [0, 1, 2, 3],
///   "learning_rates": [1e-4, 2.66e-4, 7.07e-4, 1.88e-3, 5e-3],
///   "training": {"epochs": 20, "batch_size": 32, "patience": 5},
///   "top_k": 5
/// }
/// </code>
/// </summary>
public sealed record SweepSpec(
    string Name,
    ModelSpec Model,
    IReadOnlyList<DatasetSpec> Datasets,
    IReadOnlyList<(MethodSpec Spec, string? Label)> Methods,
    IReadOnlyList<long> Seeds,
    IReadOnlyList<double> LearningRates,
    TrainingSettings Training,
    int TopK)
{
    public static readonly IReadOnlyList<long> DefaultSeeds = [0, 1, 2, 3];
    public static readonly IReadOnlyList<double> DefaultLearningRates = [1e-4, 2.66e-4, 7.07e-4, 1.88e-3, 5e-3];
    public const int DefaultTopK = 5;

    public static SweepSpec Load(string path, ExperimentCatalog catalog)
    {
        if (!File.Exists(path)) throw new SpecException($"{path}: sweep spec file not found");
        return Parse(File.ReadAllText(path), path, catalog);
    }

    /// <summary>Parses and validates a spec; every error names <paramref name="source"/> and the field.</summary>
    public static SweepSpec Parse(string json, string source, ExperimentCatalog catalog)
    {
        var root = new JsonFields(JsonFields.Parse(json, source), "", source);
        var name = root.String("name", Path.GetFileNameWithoutExtension(source));
        var model = catalog.NormalizeModel(root.Node("model") ?? throw root.Error("model", "required (a model name or object)"), "model", source);

        var datasetNodes = NonEmptyArray(root, "datasets");
        var datasets = datasetNodes.Select((n, i) => catalog.NormalizeDataset(n, $"datasets[{i}]", source)).ToList();
        RejectRepeats(root, "datasets", datasets.Select(d => CanonicalJson.Serialize(d.ToJson())).ToList());

        var methodNodes = NonEmptyArray(root, "methods");
        var methods = methodNodes.Select((n, i) => catalog.NormalizeMethod(n, $"methods[{i}]", source)).ToList();
        RejectRepeats(root, "methods", methods.Select(m => CanonicalJson.Serialize(m.Spec.ToJson())).ToList());

        var seeds = root.OptionalArray("seeds") is { } sa
            ? sa.Select((n, i) => n is null ? throw root.Error($"seeds[{i}]", "expected a whole number, got null") : root.AsLong(n, $"seeds[{i}]")).ToList()
            : DefaultSeeds.ToList();
        if (seeds.Count == 0) throw root.Error("seeds", "must list at least one seed");
        RejectRepeats(root, "seeds", seeds.Select(s => s.ToString()).ToList());

        var lrs = root.OptionalArray("learning_rates") is { } la
            ? la.Select((n, i) => n is null ? throw root.Error($"learning_rates[{i}]", "expected a number, got null") : root.AsDouble(n, $"learning_rates[{i}]")).ToList()
            : DefaultLearningRates.ToList();
        if (lrs.Count == 0) throw root.Error("learning_rates", "must list at least one learning rate");
        for (int i = 0; i < lrs.Count; i++)
            if (!(lrs[i] > 0)) throw root.Error($"learning_rates[{i}]", $"{lrs[i]}: a learning rate must be > 0");
        RejectRepeats(root, "learning_rates", lrs.Select(l => l.ToString("R")).ToList());

        var training = TrainingSettings.Parse(root.Node("training"), "training", source);
        var topK = root.Int("top_k", DefaultTopK);
        if (topK < 1) throw root.Error("top_k", $"{topK}: must be ≥ 1");
        root.RejectUnknown();
        return new SweepSpec(name, model, datasets, methods, seeds, lrs, training, topK);
    }

    /// <summary>
    /// The runs in a fixed order (dataset, method, seed, learning rate — as listed), each with its method label:
    /// the spec's <c>label</c>, else the method name, qualified by the options that differ between entries of
    /// the same method (e.g. <c>balanced[ratio=0.3]</c>).
    /// </summary>
    public IReadOnlyList<PlannedRun> Expand(string codeVersion)
    {
        var labels = MethodLabels();
        var runs = new List<PlannedRun>();
        foreach (var d in Datasets)
            for (int m = 0; m < Methods.Count; m++)
                foreach (var seed in Seeds)
                    foreach (var lr in LearningRates)
                        runs.Add(new PlannedRun(new RunConfig(Model, d, Methods[m].Spec, Training, seed, lr, codeVersion), labels[m]));
        return runs;
    }

    private List<string> MethodLabels()
    {
        var labels = new List<string>();
        foreach (var (spec, label) in Methods)
        {
            if (label != null)
            {
                labels.Add(label);
                continue;
            }
            var same = Methods.Where(m => m.Spec.Name == spec.Name).Select(m => m.Spec.Options).ToList();
            if (same.Count == 1)
            {
                labels.Add(spec.Name);
                continue;
            }
            var varying = spec.Options
                .Where(p => same.Any(o => CanonicalJson.Serialize(o[p.Key]) != CanonicalJson.Serialize(p.Value)))
                .Select(p => $"{p.Key}={CanonicalJson.Serialize(p.Value).Trim('"')}");
            labels.Add($"{spec.Name}[{string.Join(",", varying)}]");
        }
        return labels;
    }

    private static JsonArray NonEmptyArray(JsonFields root, string name)
    {
        var a = root.OptionalArray(name) ?? throw root.Error(name, "required (a non-empty array)");
        if (a.Count == 0) throw root.Error(name, "must not be empty");
        return a;
    }

    private static void RejectRepeats(JsonFields root, string name, IReadOnlyList<string> canonical)
    {
        for (int i = 0; i < canonical.Count; i++)
            for (int j = 0; j < i; j++)
                if (canonical[i] == canonical[j])
                    throw root.Error($"{name}[{i}]", $"repeats {name}[{j}]; each entry must differ");
    }
}
