using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>Numeric precision of the forward pass.</summary>
public enum Precision
{
    /// <summary>bf16 autocast on CUDA, f32 on CPU (the issue's default).</summary>
    Auto,
    F32,
    /// <summary>bf16 autocast (weights and optimizer state stay f32).</summary>
    Bf16,
}

/// <summary>
/// One training run's settings. Defaults follow §5 (AdamW, cosine annealing, early stopping on validation)
/// and PyTorch/HF defaults where the paper is silent (β = (0.9, 0.999), ε = 1e-8, weight decay 0.01,
/// gradient clipping at 1.0 as HF Trainer).
/// </summary>
public sealed record TrainerOptions
{
    public double LearningRate { get; init; } = 1e-3;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public int EvalBatchSize { get; init; } = 128;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Linear warm-up as a fraction of all steps.</summary>
    public double WarmupRatio { get; init; }

    /// <summary>Cosine floor as a fraction of the learning rate.</summary>
    public double MinLearningRateFactor { get; init; }

    /// <summary>Global gradient-norm clip; null disables clipping (the norm is still checked for divergence).</summary>
    public double? MaxGradNorm { get; init; } = 1.0;

    /// <summary>Validation evaluations without improvement before stopping.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Evaluate every this many optimizer steps; null = once per epoch.</summary>
    public int? EvalEverySteps { get; init; }

    /// <summary>Seeds shuffling (an explicit generator) and dropout (libtorch's global generator, set at the start).</summary>
    public long Seed { get; init; }

    public Precision Precision { get; init; } = Precision.Auto;

    /// <summary>Metrics computed at each evaluation (names of <see cref="ClassificationMetrics"/>).</summary>
    public IReadOnlyList<string> Metrics { get; init; } = [ClassificationMetrics.Accuracy];

    /// <summary>The validation metric that early stopping and top-k selection use; must be in <see cref="Metrics"/>.</summary>
    public string SelectionMetric { get; init; } = ClassificationMetrics.Accuracy;

    /// <summary>Checks every field; the message names the field.</summary>
    public void Validate()
    {
        static void Require(bool ok, string field, object? value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} = {value}: {rule}");
        }
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", LearningRate, "must be > 0");
        Require(Epochs >= 1, "epochs", Epochs, "must be ≥ 1");
        Require(BatchSize >= 1, "batch_size", BatchSize, "must be ≥ 1");
        Require(EvalBatchSize >= 1, "eval_batch_size", EvalBatchSize, "must be ≥ 1");
        Require(WeightDecay >= 0, "weight_decay", WeightDecay, "must be ≥ 0");
        Require(Beta1 is >= 0 and < 1, "beta1", Beta1, "must be in [0, 1)");
        Require(Beta2 is >= 0 and < 1, "beta2", Beta2, "must be in [0, 1)");
        Require(Epsilon > 0, "epsilon", Epsilon, "must be > 0");
        Require(WarmupRatio is >= 0 and < 1, "warmup_ratio", WarmupRatio, "must be in [0, 1)");
        Require(MinLearningRateFactor is >= 0 and <= 1, "min_lr_ratio", MinLearningRateFactor, "must be in [0, 1]");
        Require(MaxGradNorm is null or > 0, "max_grad_norm", MaxGradNorm, "must be > 0 (or null for no clipping)");
        Require(Patience >= 1, "patience", Patience, "must be ≥ 1");
        Require(EvalEverySteps is null or >= 1, "eval_every_steps", EvalEverySteps, "must be ≥ 1 (or null for once per epoch)");
        foreach (var m in Metrics)
            Require(ClassificationMetrics.Known.Contains(m), "metrics", m, $"unknown metric; known: {string.Join(", ", ClassificationMetrics.Known)}");
        Require(Metrics.Contains(SelectionMetric), "selection_metric", SelectionMetric, $"must be one of the computed metrics ({string.Join(", ", Metrics)})");
    }

    /// <summary>The precision used on <paramref name="device"/>: Auto is bf16 on CUDA, f32 elsewhere.</summary>
    public Precision ResolvePrecision(Device device) =>
        Precision != Precision.Auto ? Precision : device.type == DeviceType.CUDA ? Precision.Bf16 : Precision.F32;
}
