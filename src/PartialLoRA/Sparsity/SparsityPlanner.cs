using System.Diagnostics;
using PartialLoRA.Importance;
using PartialLoRA.Models;

namespace PartialLoRA.Sparsity;

/// <summary>What the planner needs to know about the model and data for the plan's provenance.</summary>
/// <param name="Model">A readable model name.</param>
/// <param name="ModelHash">Digest of the pretrained weights (<see cref="ModelFingerprint"/>).</param>
/// <param name="Task">The downstream task / dataset.</param>
/// <param name="Shots">Shots per class in D_t.</param>
public sealed record PlanSource(string Model, string ModelHash, string Task, int Shots);

/// <summary>The choices of §4.2 that shape a plan.</summary>
public sealed record PlannerOptions
{
    public ImportanceMeasure Measure { get; init; } = ImportanceMeasure.Svd;
    public FlowMode Flow { get; init; } = FlowMode.Isolated;
    public SelectionMode Selection { get; init; } = SelectionMode.TopK;

    /// <summary>T of App. D (with <see cref="SelectionMode.Softmax"/>).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Seed of the stochastic selection (each layer and side derives its own from it); recorded in the plan.</summary>
    public long Seed { get; init; }

    public DerivationOptions Derivation { get; init; } = new();
}

/// <summary>A plan with what produced it: the importance scores, Algorithm 1's searches and the time each step took.</summary>
public sealed record PlannerResult(SparsityPlan Plan, IReadOnlyList<ImportanceScores> Scores, DerivationResult Derivation, TimeSpan ImportanceTime);

/// <summary>
/// §4.2 end to end: importance of every target (§4.2.2, optionally flow-preserving per App. H), the kept counts of
/// Algorithm 1 (§4.2.1), and the kept index sets — the most important (Targeted-LoRA) or sampled from
/// softmax(I/T) (App. D) — as a <see cref="SparsityPlan"/>.
/// </summary>
public static class SparsityPlanner
{
    /// <summary>
    /// Importance scores of the targets (given in forward order, which the Continuous variant relies on to find
    /// each layer's next layer).
    /// </summary>
    public static IReadOnlyList<ImportanceScores> Score(IClassifier model, FewShotSet data, IReadOnlyList<TargetLayer> targets,
        ImportanceMeasure measure, FlowMode flow, int batchSize = 0)
    {
        var isolated = measure == ImportanceMeasure.Svd
            ? SvdImportance.Compute(targets)
            : GradientImportance.Compute(model, data, targets, measure, batchSize);
        return flow == FlowMode.Continuous ? FlowPreservation.Reweight(isolated) : isolated;
    }

    public static PlannerResult Plan(IClassifier model, FewShotSet data, IEnumerable<string> targetPaths, PlanSource source,
        PlannerOptions? options = null)
    {
        options ??= new PlannerOptions();
        options.Derivation.Validate();
        if (options.Selection == SelectionMode.Softmax && !(options.Temperature > 0 && double.IsFinite(options.Temperature)))
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "the softmax temperature must be positive and finite");
        var targets = TargetLayer.Resolve(model, targetPaths);

        var clock = Stopwatch.StartNew();
        var scores = Score(model, data, targets, options.Measure, options.Flow, options.Derivation.BatchSize);
        var importanceTime = clock.Elapsed;
        var derivation = SparsityRatioDerivation.Derive(model, data, targets, scores, options.Derivation);

        var layers = derivation.Layers.Select((d, i) => new LayerSparsity(d.Module, d.Rows, d.Cols, d.KeptRows, d.KeptCols,
            IndexSelection.Select(scores[i].Rows, d.KeptRows, options.Selection, options.Temperature, SideSeed(options.Seed, d.Module, "rows")),
            IndexSelection.Select(scores[i].Cols, d.KeptCols, options.Selection, options.Temperature, SideSeed(options.Seed, d.Module, "cols"))))
            .ToList();
        var provenance = new PlanProvenance
        {
            Schedule = PlanSchedule.Algorithm1,
            Model = source.Model,
            ModelHash = source.ModelHash,
            Task = source.Task,
            Shots = source.Shots,
            Seed = options.Seed,
            Measure = options.Measure,
            Flow = options.Flow,
            Selection = options.Selection,
            Temperature = options.Selection == SelectionMode.Softmax ? options.Temperature : null,
            Threshold = options.Derivation.Threshold,
            BaselineAccuracy = derivation.BaselineAccuracy,
            Evaluations = derivation.Evaluations,
        };
        return new PlannerResult(new SparsityPlan(provenance, layers), scores, derivation, importanceTime);
    }

    /// <summary>
    /// A seed per (plan seed, module, side) that does not depend on the order of the layers (FNV-1a over the
    /// UTF-8 text, stable across processes, unlike string.GetHashCode).
    /// </summary>
    public static long SideSeed(long seed, string module, string side)
    {
        var h = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes($"{seed}|{module}|{side}"))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return unchecked((long)h);
    }
}
