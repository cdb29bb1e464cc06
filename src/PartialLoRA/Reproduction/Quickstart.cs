using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.Methods;
using PartialLoRA.Sparsity;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Reproduction;

/// <summary>
/// The quickstart notebook's pieces: the lab vision backbone on few-shot CIFAR-10, Algorithm 1's plan (SVD importance,
/// τ = 0.9) for LoRA's default targets, and the LoRA vs Partial-LoRA comparison. Its runs are Table 5's / Fig. 2's
/// CIFAR-10 runs (same run keys), and its plan is the one the engine's <c>partial-lora</c> runs read from the cache.
/// </summary>
public static class Quickstart
{
    public const string Dataset = "cifar10";

    /// <summary>LoRA and Partial-LoRA on CIFAR-10 under the profile's protocol.</summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed, string? backbones = null) =>
        MethodComparison.Spec("quickstart", profile, Modality.Vision, seed, [PaperMethods.Lora, PaperMethods.PartialLora], backbones, [Dataset]);

    /// <summary>The paper's numbers for CIFAR-10 (Table 5), LoRA and Partial-LoRA.</summary>
    public static IReadOnlyList<PaperScore> Paper =>
        Table5.Paper.Where(p => p.Dataset == Dataset && p.Method is "LoRA" or "Partial-LoRA").ToList();

    /// <summary>
    /// Algorithm 1 on the model's pretrained weights and the task's D_t for the targets of the spec's
    /// <c>partial-lora</c> entry, with its options — so the plan is the cached one its runs use. Returns the plan
    /// and the targets.
    /// </summary>
    public static (DerivedPlan Plan, Adapters.TargetModules Targets) DerivePlan(SweepSpec spec, ModelHandle model, TrainingTask task,
        Device device, string? cacheFolder = null)
    {
        var method = spec.Methods.Select(m => m.Spec).FirstOrDefault(m => m.Name == "partial-lora")
                     ?? throw new ArgumentException($"sweep {spec.Name} has no partial-lora method");
        var targets = AdapterOptions.Targets(method.Options, model, method.Name);
        var context = new MethodContext(model, task, spec.Model, spec.Datasets[0], 0, new Training.TrainerOptions(), 0, device, CacheFolder.Resolve(cacheFolder));
        return (PlanOptions.Plan(context, method.Options, targets), targets);
    }

    /// <summary>
    /// Algorithm 1's outcome per layer: the weight's shape, kept rows/columns, p_row/p_col (Eq. 6), and the trainable
    /// parameters of a rank-<paramref name="rank"/> LoRA there, r·(out + in), against Partial-LoRA's expected
    /// r·(p_row·out + p_col·in).
    /// </summary>
    public static DataFrame PlanFrame(SparsityPlan plan, int rank = 8) => new(
        new StringDataFrameColumn("module", plan.Layers.Select(l => l.Module)),
        new StringDataFrameColumn("out × in", plan.Layers.Select(l => $"{l.Rows} × {l.Cols}")),
        new Int32DataFrameColumn("rows kept", plan.Layers.Select(l => l.KeptRows)),
        new Int32DataFrameColumn("cols kept", plan.Layers.Select(l => l.KeptCols)),
        new DoubleDataFrameColumn("p_row", plan.Layers.Select(l => l.RowRatio)),
        new DoubleDataFrameColumn("p_col", plan.Layers.Select(l => l.ColRatio)),
        new Int64DataFrameColumn("LoRA params", plan.Layers.Select(l => (long)rank * (l.Rows + l.Cols))),
        new DoubleDataFrameColumn("E[Partial-LoRA params]", plan.Layers.Select(l => rank * (l.RowRatio * l.Rows + l.ColRatio * l.Cols))));
}
