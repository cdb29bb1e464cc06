using System.Globalization;
using System.Text.Json.Nodes;

namespace PartialLoRA.Experiments;

/// <summary>
/// The model of a run. <paramref name="CheckpointSha256"/> identifies the weights (SHA-256 of the checkpoint
/// files, or <c>random-init</c> for a randomly initialised lab model whose <paramref name="Options"/> hold its
/// init seed); the checkpoint path itself is not part of the key, so moving files does not re-run anything.
/// </summary>
public sealed record ModelSpec(string Name, JsonObject Options, string CheckpointSha256, string? CheckpointPath = null)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["options"] = Options.DeepClone(),
        ["checkpoint_sha256"] = CheckpointSha256,
    };
}

/// <summary>The data of a run: dataset name, its options (shots, sequence length, …) and, when the data layer provides one, a content fingerprint.</summary>
public sealed record DatasetSpec(string Name, JsonObject Options, string? Fingerprint = null)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["options"] = Options.DeepClone(),
        ["fingerprint"] = Fingerprint,
    };
}

/// <summary>A fine-tuning method with its options after normalisation (every default filled in, so the key is stable).</summary>
public sealed record MethodSpec(string Name, JsonObject Options)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["options"] = Options.DeepClone(),
    };
}

/// <summary>
/// Everything that determines one run's outcome. Its <see cref="Key"/> — SHA-256 of the canonical JSON
/// (<see cref="CanonicalJson"/>) of model (weights hash), data, method config, training settings, seed,
/// learning rate and code version — identifies the run in the results store: same key, same run.
/// </summary>
public sealed record RunConfig(
    ModelSpec Model,
    DatasetSpec Dataset,
    MethodSpec Method,
    TrainingSettings Training,
    long Seed,
    double LearningRate,
    string CodeVersion)
{
    public JsonObject ToJson() => new()
    {
        ["model"] = Model.ToJson(),
        ["dataset"] = Dataset.ToJson(),
        ["method"] = Method.ToJson(),
        ["training"] = Training.ToJson(),
        ["seed"] = Seed,
        ["learning_rate"] = LearningRate,
        ["code_version"] = CodeVersion,
    };

    public string Key => CanonicalJson.Sha256(ToJson());

    /// <summary>A short human-readable name: method, dataset, seed and learning rate.</summary>
    public string Describe() =>
        $"{Method.Name} on {Dataset.Name}, seed {Seed}, lr {LearningRate.ToString("G3", CultureInfo.InvariantCulture)}";
}
