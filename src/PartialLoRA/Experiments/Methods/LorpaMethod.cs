using System.Text.Json.Nodes;
using PartialLoRA.Adapters;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments.Methods;

/// <summary>
/// <c>lorpa</c>: LoRPA (Kim et al. 2024) in two phases. Phase 1 trains LoRA at a large <c>rank</c> (32) for
/// <c>prune_after</c> (0.5) of the run's epochs (best validation state kept); then the adapter entries of smallest
/// magnitude are pruned to <c>keep_fraction</c> (0.5) — per matrix or globally (<c>scope</c>), optionally rewound to
/// their initial values (<c>rewind</c>) — and phase 2, the run proper, retrains the pruned structure with a fresh
/// optimizer. Phase 1's time counts in the run's <c>setup_seconds</c>.
/// </summary>
public sealed class LorpaMethod : LoraBase
{
    public override string Name => "lorpa";
    public override string Description => "LoRPA: train LoRA at a large rank, prune adapter entries by magnitude, retrain the pruned structure";

    protected override void ReadMore(JsonFields o, JsonObject n)
    {
        AdapterOptions.Fraction(o, n, "keep_fraction", 0.5, allowZero: false, allowOne: true);
        AdapterOptions.Fraction(o, n, "prune_after", 0.5, allowZero: false, allowOne: false);
        AdapterOptions.Choice(o, n, "scope", "per_matrix", "per_matrix", "global");
        n["rewind"] = o.Bool("rewind", false);
    }

    // Pruning starts from a large rank.
    protected override int DefaultRank => 32;

    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s) => Lora(c, o, t, s);

    public override TrainableSetup Apply(MethodContext context, JsonObject options)
    {
        var config = Config(context, options, AdapterOptions.Targets(options, context.Model, Name), AdapterOptions.ModulesToSave(options, context.Model));
        var adapter = AdapterModel.Inject(context.Model.Classifier.Module, config);
        using var initial = options["rewind"]!.GetValue<bool>() ? Lorpa.Capture(adapter) : null;
        var phase1 = context.Training with
        {
            Epochs = Math.Max(1, (int)Math.Round(JsonFields.GetDouble(options, "prune_after") * context.Training.Epochs)),
            Patience = int.MaxValue,
        };
        var task = context.Task;
        Trainer.Train(context.Model.Classifier, Setup(adapter, options), task.Train, task.Validation, null, phase1, context.Device);
        Lorpa.Prune(adapter, JsonFields.GetDouble(options, "keep_fraction"),
            options["scope"]!.GetValue<string>() == "global" ? LorpaScope.Global : LorpaScope.PerMatrix, initial);
        return Setup(adapter, options);
    }
}
