using System.Text.Json.Nodes;
using PartialLoRA.Backbones;
using PartialLoRA.Data;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.ModelProviders;
using PartialLoRA.Importance;
using PartialLoRA.Models.Clip;
using PartialLoRA.Runtime;
using PartialLoRA.Sparsity;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Reproduction;

/// <summary>
/// The pretrained lab vision backbone on one task, ready for Algorithm 1 (§4.2): the model with its class-mean head
/// built from the few-shot set D_t (<see cref="ClassMeanHead"/>, the lab stand-in for CLIP's prompt head), and D_t
/// itself as tensors on the runtime's device. Plans are derived with <see cref="SparsityPlanner"/> and kept in a
/// file cache keyed by everything that determines them, so the notebooks that analyse plans (App. E, App. G) reuse
/// the ones notebook 02 derived.
/// </summary>
public sealed class LabVisionTask : IDisposable
{
    private readonly TaskSets sets;

    private LabVisionTask(ClipVisionClassifier model, TaskSets sets, FewShotSet fewShot, string dataset, int shots, ulong seed, string backboneSha256)
    {
        Model = model;
        this.sets = sets;
        FewShot = fewShot;
        Dataset = dataset;
        Shots = shots;
        Seed = seed;
        BackboneSha256 = backboneSha256;
    }

    public ClipVisionClassifier Model { get; }

    /// <summary>D_t: <see cref="Shots"/> images per class after the evaluation transform, on the runtime's device.</summary>
    public FewShotSet FewShot { get; }

    public string Dataset { get; }
    public int Shots { get; }

    /// <summary>The few-shot draw (App. E compares draws).</summary>
    public ulong Seed { get; }

    /// <summary>SHA-256 over the backbone's manifest entry (as the engine's <c>lab-vision</c> model keys runs).</summary>
    public string BackboneSha256 { get; }

    public string Protocol => sets.Protocol;

    /// <summary>Loads the lab vision backbone (<see cref="LabBackbones.Vision"/>) for <paramref name="dataset"/> with D_t = <paramref name="shots"/> per class drawn by <paramref name="seed"/>.</summary>
    public static LabVisionTask Load(string dataRoot, string dataset = "cifar10", int shots = 16, ulong seed = 0, string? backbones = null)
    {
        var folder = LabBackbones.Folder(backbones);
        var sha = LabBackboneModel.ManifestSha256(LabBackbones.VisionName, folder);
        var sets = TaskData.Images(dataset, LabBackbones.VisionPreset(), seed, dataRoot, shots);
        ClipVisionClassifier? model = null;
        try
        {
            model = LabBackbones.Vision(sets.FewShot.ClassNames, folder);
            var device = TorchRuntime.Device;
            model.to(device);
            ClassMeanHead.Initialize(model, sets.FewShot, sets.EvalTransform);
            using var scope = torch.NewDisposeScope();
            var batch = new ClassificationSetBatches(sets.FewShot.Share(), sets.EvalTransform);
            LabelledBatch all;
            using (batch) all = batch.Batches(batch.Count, null, device).Single();
            var fewShot = new FewShotSet(all.Inputs.DetachFromDisposeScope(), all.Labels.DetachFromDisposeScope());
            return new LabVisionTask(model, sets, fewShot, dataset, shots, seed, sha);
        }
        catch
        {
            model?.Dispose();
            sets.Dispose();
            throw;
        }
    }

    /// <summary>The Linear layers whose name is one of <paramref name="names"/> (e.g. q_proj, fc1), in forward order.</summary>
    public IReadOnlyList<string> Targets(params string[] names)
    {
        var paths = TargetLayer.FindPaths(Model, names);
        return paths.Count > 0 ? paths : throw new ArgumentException($"the lab vision backbone has no Linear layer named {string.Join(" or ", names)}");
    }

    public PlanSource Source => new(LabBackbones.VisionName, "sha256:" + BackboneSha256, Dataset, Shots);

    /// <summary>Algorithm 1 now (no cache read), with its importance scores and search statistics; the plan is written to the cache.</summary>
    public PlannerResult Derive(IReadOnlyList<string> targets, PlannerOptions options, string cacheFolder)
    {
        var result = SparsityPlanner.Plan(Model, FewShot, targets, Source, options with { Seed = (long)Seed });
        SparsityPlanJson.Save(result.Plan, PlanFile(targets, options, cacheFolder));
        return result;
    }

    /// <summary>The plan from the cache, or derived (and cached) when absent.</summary>
    public SparsityPlan Plan(IReadOnlyList<string> targets, PlannerOptions options, string cacheFolder)
    {
        var file = PlanFile(targets, options, cacheFolder);
        return File.Exists(file) ? SparsityPlanJson.Load(file) : Derive(targets, options, cacheFolder).Plan;
    }

    /// <summary>
    /// The cache file: <c>lab-plans/&lt;SHA-256 of the key&gt;.json</c> under <paramref name="cacheFolder"/>, keyed by
    /// the backbone, task, D_t draw, targets, measure, flow, selection, τ and the code version (the search strategy
    /// and batch size change the cost, not the plan).
    /// </summary>
    public string PlanFile(IReadOnlyList<string> targets, PlannerOptions options, string cacheFolder)
    {
        var key = new JsonObject
        {
            ["backbone"] = BackboneSha256,
            ["dataset"] = Dataset,
            ["shots"] = (long)Shots,
            ["seed"] = (long)Seed,
            ["targets"] = new JsonArray(targets.Select(t => (JsonNode)t).ToArray()),
            ["measure"] = SparsityPlanJson.Name(options.Measure),
            ["flow"] = SparsityPlanJson.Name(options.Flow),
            ["selection"] = options.Selection.ToString(),
            ["temperature"] = options.Selection == SelectionMode.Softmax ? options.Temperature : null,
            ["threshold"] = options.Derivation.Threshold,
            ["code_version"] = CodeVersion.Current,
        };
        return Path.Combine(cacheFolder, "lab-plans", CanonicalJson.Sha256(key) + ".json");
    }

    public void Dispose()
    {
        FewShot.Inputs.Dispose();
        FewShot.Labels.Dispose();
        Model.Dispose();
        sets.Dispose();
    }
}
