using System.Globalization;
using System.Text.Json.Nodes;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments;

/// <summary>
/// One finished run: a line of the results store. <see cref="Status"/> is <c>ok</c>, or <c>diverged</c> when the
/// loss or gradients became non-finite (a legitimate outcome at high learning rates: recorded, so it is not
/// re-run, and ranked below every finished run).
/// </summary>
public sealed record RunRecord(
    string Key,
    string Status,
    string Label,
    JsonObject Config,
    IReadOnlyDictionary<string, double>? Validation,
    IReadOnlyDictionary<string, double>? Test,
    string SelectionMetric,
    long TrainableParameters,
    double WallSeconds,
    DateTimeOffset FinishedAt,
    string Host,
    string? Shard,
    JsonObject Details)
{
    public const string Ok = "ok";
    public const string Diverged = "diverged";

    public string ModelName => Config["model"]?["name"]?.GetValue<string>() ?? "?";
    public string DatasetName => Config["dataset"]?["name"]?.GetValue<string>() ?? "?";
    public string MethodName => Config["method"]?["name"]?.GetValue<string>() ?? "?";
    public long Seed => JsonFields.GetLong(Config, "seed");
    public double LearningRate => JsonFields.GetDouble(Config, "learning_rate");

    /// <summary>The validation score that ranks runs (−∞ for a diverged run).</summary>
    public double SelectionScore =>
        Status == Ok && Validation != null && Validation.TryGetValue(SelectionMetric, out var v) ? v : double.NegativeInfinity;

    public static RunRecord Finished(RunConfig config, string label, TrainingResult r, string? shard) => new(
        config.Key, Ok, label, config.ToJson(), r.Validation, r.Test, r.SelectionMetric, r.TrainableParameters, r.WallSeconds,
        DateTimeOffset.UtcNow, Environment.MachineName, shard, new JsonObject
        {
            ["best_epoch"] = r.BestEpoch,
            ["best_step"] = r.BestStep,
            ["epochs_run"] = r.EpochsRun,
            ["steps"] = r.Steps,
            ["stopped_early"] = r.StoppedEarly,
            ["eval_seconds"] = r.EvalSeconds,
            ["total_parameters"] = r.TotalParameters,
            ["peak_cpu_rss_bytes"] = r.Memory.CpuPeakRssBytes,
            ["peak_cpu_rss_per_run"] = r.Memory.CpuPeakIsPerRun,
            ["peak_cuda_used_bytes"] = r.Memory.CudaPeakUsedBytes,
            ["device"] = r.Device,
            ["precision"] = r.Precision.ToString().ToLowerInvariant(),
            ["denormals"] = Runtime.Denormals.Name(r.Denormals),
            ["history"] = new JsonArray(r.History.Select(h => (JsonNode)new JsonObject
            {
                ["epoch"] = h.Epoch,
                ["step"] = h.Step,
                ["train_loss"] = double.IsFinite(h.TrainLoss) ? h.TrainLoss : null,
                ["learning_rate"] = h.LearningRate,
                ["validation"] = Metrics(h.Validation),
            }).ToArray()),
        });

    public static RunRecord DivergedRun(RunConfig config, string label, string selectionMetric, long trainableParameters,
        double wallSeconds, string reason, string? shard) => new(
        config.Key, Diverged, label, config.ToJson(), null, null, selectionMetric, trainableParameters, wallSeconds,
        DateTimeOffset.UtcNow, Environment.MachineName, shard, new JsonObject { ["error"] = reason });

    public JsonObject ToJson() => new()
    {
        ["key"] = Key,
        ["status"] = Status,
        ["label"] = Label,
        ["config"] = Config.DeepClone(),
        ["validation"] = Validation is null ? null : Metrics(Validation),
        ["test"] = Test is null ? null : Metrics(Test),
        ["selection_metric"] = SelectionMetric,
        ["trainable_parameters"] = TrainableParameters,
        ["wall_seconds"] = WallSeconds,
        ["finished_at"] = FinishedAt.ToString("O", CultureInfo.InvariantCulture),
        ["host"] = Host,
        ["shard"] = Shard,
        ["details"] = Details.DeepClone(),
    };

    /// <summary>Reads a stored line; <paramref name="where"/> (file:line) prefixes every error.</summary>
    public static RunRecord FromJson(JsonNode node, string where)
    {
        var f = new JsonFields(node, "", where);
        var key = f.String("key");
        var config = f.Node("config") as JsonObject ?? throw f.Error("config", "required (an object)");
        if (CanonicalJson.Sha256(config) != key)
            throw f.Error("key", $"{key} is not the SHA-256 of this line's config; the line was edited or corrupted");
        var status = f.String("status");
        if (status is not (Ok or Diverged)) throw f.Error("status", $"'{status}': expected {Ok} or {Diverged}");
        var finished = f.String("finished_at");
        if (!DateTimeOffset.TryParse(finished, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
            throw f.Error("finished_at", $"'{finished}' is not an ISO-8601 time");
        return new RunRecord(key, status, f.String("label", ""), (JsonObject)config.DeepClone(),
            ReadMetrics(f, "validation"), ReadMetrics(f, "test"), f.String("selection_metric"), f.Long("trainable_parameters", 0),
            f.Double("wall_seconds", 0), at, f.String("host", ""), f.OptionalString("shard"),
            f.Node("details") is JsonObject d ? (JsonObject)d.DeepClone() : new JsonObject());
    }

    private static JsonObject Metrics(IReadOnlyDictionary<string, double> m)
    {
        var o = new JsonObject();
        foreach (var (k, v) in m.OrderBy(p => p.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }

    private static Dictionary<string, double>? ReadMetrics(JsonFields f, string name)
    {
        var n = f.Node(name);
        if (n is null) return null;
        var m = new JsonFields(n, name, f.Source);
        var result = new Dictionary<string, double>();
        foreach (var (k, v) in m.Object) result[k] = m.AsDouble(v!, $"{name}.{k}");
        return result;
    }
}
