using System.Text.Json.Nodes;
using PartialLoRA.Data;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Registry;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments.Datasets;

/// <summary>
/// A dataset of the data layer's registry (§5's datasets and Fashion-MNIST) under the protocol of
/// <see cref="Data.TaskData"/>. Image options: <c>shots</c> (the paper's: 16, Flowers 6), <c>whole</c> (App. B: train
/// on the whole training split), <c>augment</c>, <c>split_seed</c> (0: the draw of the few-shot and validation rows,
/// fixed across a sweep's runs). GLUE options: <c>max_length</c> (128), <c>few_shot_ratio</c> (Algorithm 1's D_t;
/// default the paper's 2% / 5%), <c>dev_split</c> (train on 80% of GLUE dev and test on the rest, for QNLI offline),
/// <c>split_seed</c>. Both: <c>train_limit</c> / <c>test_limit</c> keep a seeded random subset of that many rows
/// (for CPU smoke runs; null = the whole split). The data's identity in run keys is the name and these options (the
/// reader is pinned by the code version); no content hash, so reports need no data.
/// </summary>
public sealed class RegistryDataset(DatasetInfo info, string? dataRoot) : IDatasetProvider
{
    public string Name => info.Name;
    public string Description => $"{info.Title} ({(info.IsImage ? "images" : "GLUE text")}, {info.ClassCount} classes, metric {info.Metric})";

    public JsonObject Normalize(JsonFields o)
    {
        var n = new JsonObject();
        if (info.IsImage)
        {
            n["shots"] = AtLeast(o, "shots", info.PaperShots ?? 16, 1);
            n["whole"] = o.Bool("whole", false);
            n["augment"] = o.Bool("augment", false);
        }
        else
        {
            n["max_length"] = AtLeast(o, "max_length", 128, 4);
            var ratio = o.OptionalDouble("few_shot_ratio");
            if (ratio is { } r && !(r > 0 && r <= 1)) throw o.Error(o.FieldPath("few_shot_ratio"), $"{r}: must lie in (0, 1]");
            n["few_shot_ratio"] = ratio;
            n["dev_split"] = o.Bool("dev_split", false);
        }
        n["split_seed"] = o.Long("split_seed", 0);
        n["train_limit"] = OptionalAtLeast(o, "train_limit", 2);
        n["test_limit"] = OptionalAtLeast(o, "test_limit", 1);
        o.RejectUnknown();
        return n;
    }

    public string? Fingerprint(JsonObject options) => null;

    public TrainingTask Load(JsonObject o, ModelInputs inputs)
    {
        var seed = (ulong)JsonFields.GetLong(o, "split_seed");
        TaskSets sets;
        if (info.IsImage)
        {
            if (inputs.Kind != InputKind.Image || inputs.ImagePreset is null)
                throw new ArgumentException($"dataset {Name} holds images; the model takes {inputs.Kind.ToString().ToLowerInvariant()} inputs");
            var preset = ImagePreset.Parse(inputs.ImagePreset, o["augment"]!.GetValue<bool>());
            sets = TaskData.Images(Name, preset, seed, dataRoot, JsonFields.GetInt(o, "shots"), o["whole"]!.GetValue<bool>(),
                trainLimit: Limit(o, "train_limit"), testLimit: Limit(o, "test_limit"));
        }
        else
        {
            if (inputs.Kind != InputKind.Text || inputs.Tokenizer is null)
                throw new ArgumentException($"dataset {Name} holds text; the model takes {inputs.Kind.ToString().ToLowerInvariant()} inputs");
            sets = TaskData.Glue(Name, inputs.Tokenizer, seed, dataRoot, JsonFields.GetInt(o, "max_length"),
                o["few_shot_ratio"] is null ? null : JsonFields.GetDouble(o, "few_shot_ratio"), o["dev_split"]!.GetValue<bool>(),
                tokenizerKey: inputs.TokenizerKey);
        }
        // images are limited before decoding (above); token sets after encoding
        var train = info.IsImage ? sets.Train : RowLimit.Apply(sets.Train, Limit(o, "train_limit"), seed, "train_limit");
        var test = info.IsImage ? sets.Test : RowLimit.Apply(sets.Test, Limit(o, "test_limit"), seed, "test_limit");
        var metrics = Metrics(info.Metric);
        var protocol = sets.Protocol + Limits(o);
        return new TrainingTask(Name, new ClassificationSetBatches(train, sets.TrainTransform),
            new ClassificationSetBatches(sets.Validation, sets.EvalTransform), new ClassificationSetBatches(test, sets.EvalTransform),
            sets.Train.ClassNames, metrics, new JsonObject(), new ClassificationSetBatches(sets.FewShot, sets.EvalTransform), sets.Prompts, protocol);
    }

    /// <summary>The engine's metric list for the registry's metric name; the first selects runs.</summary>
    public static IReadOnlyList<string> Metrics(string registryMetric) => registryMetric switch
    {
        MetricNames.Accuracy => [ClassificationMetrics.Accuracy],
        MetricNames.Matthews => [ClassificationMetrics.MatthewsCorrelation, ClassificationMetrics.Accuracy],
        // MRPC: the paper's numbers are accuracies (as AdaLoRA's DeBERTa tables); F1 is reported beside them.
        MetricNames.F1Accuracy => [ClassificationMetrics.Accuracy, ClassificationMetrics.F1],
        _ => throw new InvalidOperationException($"metric '{registryMetric}' of the data registry has no engine equivalent"),
    };

    private static int? Limit(JsonObject o, string name) => o[name] is null ? null : JsonFields.GetInt(o, name);

    private static string Limits(JsonObject o) =>
        (o["train_limit"] is null ? "" : $"; training limited to {o["train_limit"]} rows") + (o["test_limit"] is null ? "" : $"; test limited to {o["test_limit"]} rows");

    private static int AtLeast(JsonFields o, string name, int fallback, int min)
    {
        var v = o.Int(name, fallback);
        if (v < min) throw o.Error(o.FieldPath(name), $"{v}: must be ≥ {min}");
        return v;
    }

    private static int? OptionalAtLeast(JsonFields o, string name, int min)
    {
        var v = o.OptionalInt(name);
        if (v < min) throw o.Error(o.FieldPath(name), $"{v}: must be ≥ {min} (or null for the whole split)");
        return v;
    }
}
