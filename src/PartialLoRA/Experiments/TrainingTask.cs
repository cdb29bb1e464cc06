using System.Text.Json.Nodes;
using PartialLoRA.Text;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments;

/// <summary>
/// A classification task ready for training: the three splits of §5's protocol (train; an equally sized
/// validation set for early stopping; test — GLUE's dev set), the few-shot set D_t that Algorithm 1 derives the
/// sparsity ratios on, the class names (and CLIP's prompts, for the prompt-initialised head) and the metrics.
/// </summary>
/// <param name="Metrics">Metric names to compute (<see cref="ClassificationMetrics"/>); the first is the selection metric unless the spec overrides it.</param>
/// <param name="InputDescription">What a model builder needs to size its input (e.g. <c>features</c>).</param>
/// <param name="FewShot">D_t of Algorithm 1 (for few-shot image runs, the training rows themselves).</param>
/// <param name="Protocol">How the splits were drawn, in words.</param>
public sealed record TrainingTask(
    string Name,
    ILabelledBatches Train,
    ILabelledBatches Validation,
    ILabelledBatches? Test,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<string> Metrics,
    JsonObject InputDescription,
    ILabelledBatches? FewShot = null,
    ClipPromptSet? Prompts = null,
    string Protocol = "") : IDisposable
{
    public int NumClasses => ClassNames.Count;
    public string SelectionMetric => Metrics[0];

    public void Dispose()
    {
        foreach (var split in new[] { Train, Validation, Test, FewShot }.Distinct())
            (split as IDisposable)?.Dispose();
    }
}

/// <summary>A dataset the sweep spec can name.</summary>
public interface IDatasetProvider
{
    string Name { get; }
    string Description { get; }

    /// <summary>Validates the spec's options for this dataset, fills defaults, rejects unknown fields (errors name the field).</summary>
    JsonObject Normalize(JsonFields options);

    /// <summary>A content fingerprint of the data the options select (null when none is known); part of the run key.</summary>
    string? Fingerprint(JsonObject options);

    /// <summary>
    /// Loads (or generates) the splits encoded for a model's <paramref name="inputs"/>; seeded choices use the
    /// options' own seeds, never the run's. Errors name the dataset and what the model would need.
    /// </summary>
    TrainingTask Load(JsonObject options, ModelInputs inputs);
}
