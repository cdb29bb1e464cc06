using PartialLoRA.Importance;

namespace PartialLoRA.Sparsity;

/// <summary>Where a plan's per-layer ratios come from.</summary>
public enum PlanSchedule
{
    /// <summary>Algorithm 1 with an importance measure (§4.2).</summary>
    Algorithm1,

    /// <summary>§5: one density p for every layer.</summary>
    Balanced,

    /// <summary>§5: p_l = p^l for a layer at depth l (1 = first block).</summary>
    Pyramidal,
}

/// <summary>
/// How a plan was made, so that a mask can be traced back to the model, data and criterion that produced it.
/// Fields that do not apply to the schedule are null (e.g. no threshold for Balanced).
/// </summary>
public sealed record PlanProvenance
{
    public required PlanSchedule Schedule { get; init; }

    /// <summary>A readable model name (e.g. openai/clip-vit-base-patch16).</summary>
    public required string Model { get; init; }

    /// <summary>A digest of the pretrained weights, e.g. "sha256:…" from <see cref="ModelFingerprint"/>.</summary>
    public required string ModelHash { get; init; }

    /// <summary>The downstream task / dataset (e.g. cifar10); null when the plan does not depend on one.</summary>
    public string? Task { get; init; }

    /// <summary>m: shots per class in D_t (Algorithm 1).</summary>
    public int? Shots { get; init; }

    /// <summary>The seed of the shot draw and of any stochastic selection.</summary>
    public long Seed { get; init; }

    public ImportanceMeasure? Measure { get; init; }
    public FlowMode? Flow { get; init; }
    public SelectionMode? Selection { get; init; }

    /// <summary>T of App. D, with <see cref="SelectionMode.Softmax"/>.</summary>
    public double? Temperature { get; init; }

    /// <summary>τ of Algorithm 1 (0.9 in the paper).</summary>
    public double? Threshold { get; init; }

    /// <summary>μ: the pretrained model's few-shot accuracy.</summary>
    public double? BaselineAccuracy { get; init; }

    /// <summary>Passes of D_t that Algorithm 1 made.</summary>
    public int? Evaluations { get; init; }

    /// <summary>p of the Balanced / Pyramidal schedule.</summary>
    public double? P { get; init; }
}

/// <summary>
/// A serialisable sparsity plan: per-layer kept counts and index sets (<see cref="LayerSparsity"/>) with their
/// provenance. The adapter library builds its masks from <see cref="Layers"/> (Partial-LoRA: Bernoulli from the
/// ratios; Targeted: the index sets; Inverted: their complement; element masks: <see cref="LayerSparsity.Density"/>).
/// Saved as JSON by <see cref="SparsityPlanJson"/>.
/// </summary>
public sealed record SparsityPlan(PlanProvenance Provenance, IReadOnlyList<LayerSparsity> Layers)
{
    /// <summary>The layers by module path.</summary>
    public IReadOnlyDictionary<string, LayerSparsity> ByModule => Layers.ToDictionary(l => l.Module);

    public void Save(string path) => SparsityPlanJson.Save(this, path);

    public static SparsityPlan Load(string path) => SparsityPlanJson.Load(path);
}
