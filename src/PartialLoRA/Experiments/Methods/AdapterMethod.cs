using System.Text.Json.Nodes;
using PartialLoRA.Adapters;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments.Methods;

/// <summary>
/// A method that injects an adapter (PEFT-style, <see cref="AdapterModel"/>) into the model and trains the
/// adapter's parameters plus the task head: the trainer gets the adapter's trainable parameters, its exact count
/// (masked entries excluded), AdaLoRA's regulariser and rank allocator when present.
/// </summary>
public abstract class AdapterMethod : IMethod
{
    public abstract string Name { get; }
    public abstract string Description { get; }

    public JsonObject Normalize(JsonFields options)
    {
        var n = new JsonObject();
        AdapterOptions.ReadCommon(options, n);
        ReadOptions(options, n);
        options.RejectUnknown();
        return n;
    }

    /// <summary>Reads this method's own options into <paramref name="into"/>, defaults filled.</summary>
    protected abstract void ReadOptions(JsonFields options, JsonObject into);

    /// <summary>The adapter configuration for this run.</summary>
    protected abstract AdapterConfig Config(MethodContext context, JsonObject options, TargetModules targets, IReadOnlyList<string> modulesToSave);

    public virtual TrainableSetup Apply(MethodContext context, JsonObject options)
    {
        var config = Config(context, options, AdapterOptions.Targets(options, context.Model, Name), AdapterOptions.ModulesToSave(options, context.Model));
        return Setup(AdapterModel.Inject(context.Model.Classifier.Module, config), options);
    }

    /// <summary>The trainer's view of an injected adapter: weight-decay groups over its trainable parameters.</summary>
    protected virtual TrainableSetup Setup(AdapterModel adapter, JsonObject options) =>
        ForAdapter(adapter, TrainableSetup.ForParameters(adapter.NamedTrainableParameters()));

    protected static TrainableSetup ForAdapter(AdapterModel adapter, TrainableSetup groups) => groups with
    {
        TrainableParameters = adapter.TrainableParameterCount,
        RegularizationLoss = adapter.RankAllocator is null ? null : () => adapter.RegularizationLoss()!,
        AfterOptimizerStep = adapter.RankAllocator is { } allocator ? step => allocator.UpdateAndAllocate(step) : null,
    };
}
