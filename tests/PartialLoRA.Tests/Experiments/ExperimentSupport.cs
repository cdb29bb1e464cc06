using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Training;

namespace PartialLoRA.Tests.Experiments;

/// <summary>Configurations and records for store/report tests (their numbers are inputs, not measurements).</summary>
internal static class ExperimentSupport
{
    public static RunConfig Config(string method = "full", long seed = 0, double lr = 1e-3, string dataset = "synthetic-blobs",
        JsonObject? methodOptions = null, string code = "abc123") =>
        new(new ModelSpec("tiny-mlp", new JsonObject { ["hidden"] = 16 }, "random-init"),
            new DatasetSpec(dataset, new JsonObject { ["classes"] = 2 }),
            new MethodSpec(method, methodOptions ?? new JsonObject()),
            TrainingSettings.Default, seed, lr, code);

    public static RunRecord Record(RunConfig c, double val, double test, string label = "", long trainable = 100, string? shard = null) =>
        RunRecord.Finished(c, label.Length == 0 ? c.Method.Name : label, new TrainingResult(
            new Dictionary<string, double> { ["accuracy"] = val }, new Dictionary<string, double> { ["accuracy"] = test },
            "accuracy", 1, 10, 2, 20, false, trainable, 1000, 0.5, 0.1, new MemoryReport(1 << 20, true, null), "cpu", Precision.F32, []), shard);

    public const string BlobsSpec = """
        {
          "name": "blobs",
          "model": {"name": "tiny-mlp", "hidden": 8, "layers": 1},
          "datasets": [{"name": "synthetic-blobs", "classes": 2, "features": 4, "train_per_class": 16, "validation_per_class": 8, "test_per_class": 16}],
          "methods": ["full", "linear-probe"],
          "seeds": [0, 1],
          "learning_rates": [1e-3, 1e-2],
          "training": {"epochs": 2, "batch_size": 8, "patience": 2}
        }
        """;
}
