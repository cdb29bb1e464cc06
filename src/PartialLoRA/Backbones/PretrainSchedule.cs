using System.Text.Json.Nodes;

namespace PartialLoRA.Backbones;

/// <summary>
/// The optimisation recipe shared by both pretraining runs: AdamW (β = 0.9, 0.999; decoupled weight decay, none on
/// biases and normalisation weights), linear warm-up then cosine decay per step to <see cref="MinLearningRateFactor"/>,
/// global gradient-norm clipping, and the forward pass in bf16 autocast or f32.
/// </summary>
public sealed record PretrainSchedule
{
    public int Epochs { get; init; }
    public int BatchSize { get; init; }
    public double LearningRate { get; init; }
    public double WeightDecay { get; init; }

    /// <summary>Warm-up length in epochs (may be fractional); converted to whole steps.</summary>
    public double WarmupEpochs { get; init; }

    public double MinLearningRateFactor { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>bf16 autocast for the forward pass (weights and optimizer state stay f32), else f32.</summary>
    public bool Bf16 { get; init; }

    /// <summary>Seeds the data order, augmentation, masking and dropout; the model's initialisation too.</summary>
    public long Seed { get; init; }

    /// <summary>Write the restart state every this many optimizer steps (and at every epoch end).</summary>
    public int CheckpointEverySteps { get; init; } = 50;

    public void Validate(string what)
    {
        void Require(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{what}: {field} = {value}: {rule}");
        }
        Require(Epochs >= 1, "epochs", Epochs, "must be ≥ 1");
        Require(BatchSize >= 1, "batch_size", BatchSize, "must be ≥ 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", LearningRate, "must be > 0");
        Require(WeightDecay >= 0, "weight_decay", WeightDecay, "must be ≥ 0");
        Require(WarmupEpochs >= 0 && WarmupEpochs < Epochs, "warmup_epochs", WarmupEpochs, $"must be in [0, epochs = {Epochs})");
        Require(MinLearningRateFactor is >= 0 and <= 1, "min_lr_factor", MinLearningRateFactor, "must be in [0, 1]");
        Require(MaxGradNorm > 0, "max_grad_norm", MaxGradNorm, "must be > 0");
        Require(CheckpointEverySteps >= 1, "checkpoint_every", CheckpointEverySteps, "must be ≥ 1");
    }

    public int WarmupSteps(int stepsPerEpoch) => (int)Math.Ceiling(WarmupEpochs * stepsPerEpoch);

    public JsonObject ToJson() => new()
    {
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["learning_rate"] = LearningRate,
        ["weight_decay"] = WeightDecay,
        ["warmup_epochs"] = WarmupEpochs,
        ["min_lr_factor"] = MinLearningRateFactor,
        ["max_grad_norm"] = MaxGradNorm,
        ["precision"] = Bf16 ? "bf16-autocast" : "f32",
        ["seed"] = Seed,
    };
}
