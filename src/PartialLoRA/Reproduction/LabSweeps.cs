using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Runtime;

namespace PartialLoRA.Reproduction;

/// <summary>The sizes of a notebook's training sweep per profile (§5's protocol in <c>lab</c>, a few CPU minutes in <c>smoke</c>).</summary>
public sealed record SweepSize(int Shots, int? TestLimit, long[] Seeds, double[] LearningRates, int Epochs, int BatchSize, int Patience, int TopK)
{
    /// <summary>CPU minutes: 2 shots per class, 1 seed × 1 learning rate, 2 epochs, 200 test images.</summary>
    public static SweepSize Smoke { get; } = new(2, 200, [0], [1e-3], 2, 10, 2, 1);

    /// <summary>§5: 16 shots, 4 seeds × 5 learning rates (1e-4 … 5e-3), top-5 mean ± std, the whole test split.</summary>
    public static SweepSize Lab { get; } = new(16, null, [.. SweepSpec.DefaultSeeds], [.. SweepSpec.DefaultLearningRates], 20, 32, 5, 5);
}

/// <summary>
/// A notebook's training runs through the engine: a sweep spec on the lab vision backbone (<c>lab-vision</c>), run
/// with <see cref="SweepRunner"/> into the results store (finished runs are skipped, so notebooks reuse each other's
/// runs), and read back as the runs of that spec.
/// </summary>
public static class LabSweeps
{
    /// <summary>A spec over <paramref name="dataset"/> with <paramref name="methods"/> (method JSON objects, optionally with a <c>label</c>).</summary>
    public static JsonObject Spec(string name, string dataset, SweepSize size, IEnumerable<JsonObject> methods)
    {
        var data = new JsonObject { ["name"] = dataset, ["shots"] = size.Shots };
        if (size.TestLimit is { } t) data["test_limit"] = t;
        return new JsonObject
        {
            ["name"] = name,
            ["model"] = new JsonObject { ["name"] = "lab-vision" },
            ["datasets"] = new JsonArray(data),
            ["methods"] = new JsonArray(methods.Select(m => (JsonNode)m.DeepClone()).ToArray()),
            ["seeds"] = new JsonArray(size.Seeds.Select(s => (JsonNode)s).ToArray()),
            ["learning_rates"] = new JsonArray(size.LearningRates.Select(l => (JsonNode)l).ToArray()),
            ["training"] = new JsonObject { ["epochs"] = size.Epochs, ["batch_size"] = size.BatchSize, ["patience"] = size.Patience },
            ["top_k"] = size.TopK,
        };
    }

    /// <summary>Runs the spec's missing runs into <paramref name="resultsDir"/> and returns all of the spec's runs from the store.</summary>
    public static (SweepOutcome Outcome, IReadOnlyList<RunRecord> Runs) Run(JsonObject spec, string dataRoot, string resultsDir,
        string? cacheFolder = null, CancellationToken cancel = default)
    {
        var catalog = BuiltInCatalog.Create(dataRoot);
        var sweep = SweepSpec.Parse(spec.ToJsonString(), spec["name"]?.GetValue<string>() ?? "notebook", catalog);
        using var executor = new RunExecutor(catalog, TorchRuntime.Device, CacheFolder.Resolve(cacheFolder));
        var outcome = SweepRunner.Run(sweep, resultsDir, null, executor, cancel: cancel);
        var keys = sweep.Expand(CodeVersion.Current).Select(r => r.Key).ToHashSet();
        var runs = ResultsStore.Load(resultsDir).Runs.Where(r => keys.Contains(r.Key)).ToList();
        return (outcome, runs);
    }
}
