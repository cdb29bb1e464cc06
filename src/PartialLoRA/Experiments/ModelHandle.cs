using System.Text.Json.Nodes;
using PartialLoRA.Models;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments;

/// <summary>
/// A built classifier and what the methods need to know about it: which modules form the task head (trained
/// by every method, and alone by linear probing) and which Linear modules adapters target by default.
/// </summary>
/// <param name="HeadModules">named_modules paths of the task head.</param>
/// <param name="DefaultTargetModules">A method's default adapter targets by method name (PEFT semantics: exact path or path ending in "." + name).</param>
public sealed record ModelHandle(
    IClassifier Classifier,
    string Name,
    IReadOnlyList<string> HeadModules,
    Func<string, IReadOnlyList<string>> DefaultTargetModules) : IDisposable
{
    public void Dispose() => Classifier.Module.Dispose();
}

/// <summary>A model the sweep spec can name.</summary>
public interface IModelProvider
{
    string Name { get; }
    string Description { get; }

    /// <summary>Validates the spec's options, fills defaults, rejects unknown fields (errors name the field).</summary>
    JsonObject Normalize(JsonFields options);

    /// <summary>
    /// SHA-256 identifying the weights the normalised options select (the files under their <c>checkpoint</c>
    /// path), or <c>random-init</c>. The <c>checkpoint</c> path itself then moves to <see cref="ModelSpec.CheckpointPath"/>.
    /// </summary>
    string CheckpointSha256(JsonObject options);

    /// <summary>What the model's data must look like (image preset, tokenizer).</summary>
    ModelInputs Inputs(ModelSpec spec);

    /// <summary>Builds the classifier for <paramref name="task"/> on <paramref name="device"/>.</summary>
    ModelHandle Build(ModelSpec spec, TrainingTask task, Device device);
}
