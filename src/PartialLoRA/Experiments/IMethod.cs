using System.Text.Json.Nodes;
using PartialLoRA.Training;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments;

/// <summary>What a method sees when it is applied to a freshly built model for one run.</summary>
/// <param name="Seed">The run's seed (adapter initialisation, random masks).</param>
/// <param name="Training">The run's trainer options (a method that trains in phases, such as LoRPA, runs its first phase with them).</param>
/// <param name="TotalSteps">Optimizer steps the run will take if it is not stopped early (AdaLoRA's budget schedule).</param>
/// <param name="Workspace">A folder for cached artefacts (e.g. sparsity plans from Algorithm 1).</param>
public sealed record MethodContext(ModelHandle Model, TrainingTask Task, ModelSpec ModelSpec, DatasetSpec DatasetSpec, long Seed,
    TrainerOptions Training, int TotalSteps, Device Device, string Workspace);

/// <summary>
/// A fine-tuning method of the comparison (§5 "Setting and Baselines"): validates its options, and turns a
/// model into a <see cref="TrainableSetup"/> — freezing what it does not train, injecting adapters, building
/// masks — for the trainer.
/// </summary>
public interface IMethod
{
    string Name { get; }
    string Description { get; }

    /// <summary>Validates the options, fills every default (so equal configurations hash equally), rejects unknown fields.</summary>
    JsonObject Normalize(JsonFields options);

    TrainableSetup Apply(MethodContext context, JsonObject options);
}
