using System.Text.Json.Nodes;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments;

/// <summary>
/// The <c>training</c> block of a sweep spec or run: every <see cref="TrainerOptions"/> field except the learning
/// rate and seed (which the sweep grid varies). Serialised with all fields, defaults included, so the run key
/// changes when a default does.
/// </summary>
public sealed record TrainingSettings
{
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 32;
    public int EvalBatchSize { get; init; } = 128;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupRatio { get; init; }
    public double MinLearningRateFactor { get; init; }
    public double? MaxGradNorm { get; init; } = 1.0;
    public int Patience { get; init; } = 5;
    public int? EvalEverySteps { get; init; }
    public Precision Precision { get; init; } = Precision.Auto;

    /// <summary>Overrides the dataset's selection metric (e.g. f1 instead of accuracy for MRPC); null keeps it.</summary>
    public string? SelectionMetric { get; init; }

    public static readonly TrainingSettings Default = new();

    public TrainerOptions ToTrainerOptions(double learningRate, long seed, IReadOnlyList<string> metrics, string datasetSelectionMetric) => new()
    {
        LearningRate = learningRate,
        Seed = seed,
        Epochs = Epochs,
        BatchSize = BatchSize,
        EvalBatchSize = EvalBatchSize,
        WeightDecay = WeightDecay,
        WarmupRatio = WarmupRatio,
        MinLearningRateFactor = MinLearningRateFactor,
        MaxGradNorm = MaxGradNorm,
        Patience = Patience,
        EvalEverySteps = EvalEverySteps,
        Precision = Precision,
        Metrics = metrics,
        SelectionMetric = SelectionMetric ?? datasetSelectionMetric,
    };

    public JsonObject ToJson() => new()
    {
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["eval_batch_size"] = EvalBatchSize,
        ["weight_decay"] = WeightDecay,
        ["warmup_ratio"] = WarmupRatio,
        ["min_lr_ratio"] = MinLearningRateFactor,
        ["max_grad_norm"] = MaxGradNorm,
        ["patience"] = Patience,
        ["eval_every_steps"] = EvalEverySteps,
        ["precision"] = Precision.ToString().ToLowerInvariant(),
        ["selection_metric"] = SelectionMetric,
        ["optimizer"] = "adamw",
        ["schedule"] = "cosine",
    };

    /// <summary>Reads a <c>training</c> object; missing fields take the defaults; every error names the field.</summary>
    public static TrainingSettings Parse(JsonNode? node, string path, string source)
    {
        if (node is null) return Default;
        var f = new JsonFields(node, path, source);
        var d = Default;
        var s = new TrainingSettings
        {
            Epochs = f.Int("epochs", d.Epochs),
            BatchSize = f.Int("batch_size", d.BatchSize),
            EvalBatchSize = f.Int("eval_batch_size", d.EvalBatchSize),
            WeightDecay = f.Double("weight_decay", d.WeightDecay),
            WarmupRatio = f.Double("warmup_ratio", d.WarmupRatio),
            MinLearningRateFactor = f.Double("min_lr_ratio", d.MinLearningRateFactor),
            MaxGradNorm = f.Object.ContainsKey("max_grad_norm") ? f.OptionalDouble("max_grad_norm") : d.MaxGradNorm,
            Patience = f.Int("patience", d.Patience),
            EvalEverySteps = f.OptionalInt("eval_every_steps"),
            Precision = ParsePrecision(f, "precision", d.Precision),
            SelectionMetric = f.OptionalString("selection_metric"),
        };
        var optimizer = f.String("optimizer", "adamw");
        if (optimizer != "adamw") throw f.Error(f.FieldPath("optimizer"), $"'{optimizer}': the paper's protocol trains with AdamW; expected \"adamw\"");
        var schedule = f.String("schedule", "cosine");
        if (schedule != "cosine") throw f.Error(f.FieldPath("schedule"), $"'{schedule}': the paper's protocol uses cosine annealing; expected \"cosine\"");
        f.RejectUnknown();
        try
        {
            s.ToTrainerOptions(1, 0, ClassificationMetrics.Known, s.SelectionMetric ?? ClassificationMetrics.Accuracy).Validate();
        }
        catch (ArgumentException e)
        {
            throw f.Error(path, e.Message);
        }
        return s;
    }

    private static Precision ParsePrecision(JsonFields f, string name, Precision fallback)
    {
        var text = f.OptionalString(name);
        if (text is null) return fallback;
        return text switch
        {
            "auto" => Precision.Auto,
            "f32" or "fp32" or "float32" => Precision.F32,
            "bf16" or "bfloat16" => Precision.Bf16,
            _ => throw f.Error(f.FieldPath(name), $"'{text}': expected auto (bf16 autocast on CUDA, f32 on CPU), f32 or bf16"),
        };
    }
}
