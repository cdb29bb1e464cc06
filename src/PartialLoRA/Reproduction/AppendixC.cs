using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Runtime;
using PartialLoRA.Training;

namespace PartialLoRA.Reproduction;

/// <summary>One trained run's residual norms ‖ΔW_l‖ (App. C) and its test accuracy.</summary>
public sealed record ResidualRun(string Label, string Key, double TestAccuracy, IReadOnlyList<ResidualNorm> Norms);

/// <summary>
/// App. C, Figs. 7–10: the Frobenius norm of the residual ΔW_l each method's fine-tuning adds to every target layer —
/// LoRA against Partial-LoRA and Targeted-LoRA (SVD; in <c>lab</c> also Targeted SNIP and IMP) — for the first (fc1)
/// and second (fc2) MLP layers and the attention's inward projection (q_proj) of every block. The engine's results
/// store keeps metrics, not adapters, so each run is trained here through the engine's own model, method and
/// trainer (the same configuration and key a sweep would use); the run is appended to the results store and its norms
/// are kept beside the cache, so a second execution reads them instead of training again. The paper prints no values
/// (the figures are plots); its findings are in <see cref="PaperFinding"/>.
/// </summary>
public static class AppendixC
{
    public const string PaperFinding = "Targeted follows Partial closely in every layer; both differ from LoRA; masked norms drop in the final layer";

    public static string[] Targets(bool smoke) => smoke ? ["fc1"] : ["fc1", "fc2", "q_proj"];

    public static IReadOnlyList<JsonObject> Methods(bool smoke)
    {
        var targets = new JsonArray(Targets(smoke).Select(t => (JsonNode)t).ToArray());
        JsonObject M(string name, string? importance, string label)
        {
            var o = new JsonObject { ["name"] = name, ["target_modules"] = targets.DeepClone(), ["label"] = label };
            if (importance != null) o["importance"] = importance;
            return o;
        }
        var list = new List<JsonObject> { M("lora", null, "LoRA"), M("partial-lora", "svd", "Partial-LoRA (SVD)"), M("targeted-lora", "svd", "Targeted-LoRA (SVD)") };
        if (!smoke) list.AddRange([M("targeted-lora", "snip", "Targeted-LoRA (SNIP)"), M("targeted-lora", "imp", "Targeted-LoRA (IMP)")]);
        return list;
    }

    /// <summary>App. C's runs on CIFAR-10 (the lab backbone: App. C's datasets are not offline).</summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed) =>
        ReproductionSweep.Spec("appC", profile, Modality.Vision, seed, [ReproductionSweep.Dataset("cifar10", profile)], Methods(profile == ReproductionProfile.Smoke));

    /// <summary>Trains (or reads back) every run of <paramref name="spec"/> and returns its residual norms.</summary>
    public static IReadOnlyList<ResidualRun> Run(JsonObject spec, string dataRoot, string resultsDir, string? cacheFolder = null, CancellationToken cancel = default)
    {
        var catalog = BuiltInCatalog.Create(dataRoot);
        var sweep = SweepSpec.Parse(spec.ToJsonString(), spec["name"]?.GetValue<string>() ?? "notebook", catalog);
        var workspace = CacheFolder.Resolve(cacheFolder);
        using var executor = new RunExecutor(catalog, TorchRuntime.Device, workspace);
        var runs = new List<ResidualRun>();
        foreach (var run in sweep.Expand(CodeVersion.Current))
        {
            cancel.ThrowIfCancellationRequested();
            var file = Path.Combine(workspace, "residual-norms", run.Key + ".json");
            runs.Add(File.Exists(file) ? Read(file) : Train(catalog, executor, run, resultsDir, file, cancel));
        }
        return runs;
    }

    // RunExecutor.Execute's steps, keeping the trained model long enough to read its ΔW.
    private static ResidualRun Train(ExperimentCatalog catalog, RunExecutor executor, PlannedRun run, string resultsDir, string file, CancellationToken cancel)
    {
        var config = run.Config;
        var device = executor.Device;
        var task = executor.Task(config.Dataset, config.Model);
        using var model = catalog.Models[config.Model.Name].Build(config.Model, task, device);
        var options = config.Training.ToTrainerOptions(config.LearningRate, config.Seed, task.Metrics, task.SelectionMetric);
        var totalSteps = options.Epochs * ((task.Train.Count + options.BatchSize - 1) / options.BatchSize);
        var setup = catalog.Methods[config.Method.Name].Apply(
            new MethodContext(model, task, config.Model, config.Dataset, config.Seed, options, totalSteps, device, CacheFolder.Resolve()), config.Method.Options);
        var result = Trainer.Train(model.Classifier, setup, task.Train, task.Validation, task.Test, options, device, null, cancel);
        using (var writer = ResultsWriter.Open(resultsDir, null))
            if (!writer.FinishedKeys.Contains(run.Key)) writer.Append(RunRecord.Finished(config, run.Label, result, null));
        var adapters = model.Classifier.Module.named_modules().Where(m => m.module is AdapterLayer).ToList();
        if (adapters.Count == 0) throw new InvalidOperationException($"run {run.Label}: the trained model has no adapter layers");
        var norms = ResidualNorms.Compute(adapters.Select(a => a.name), name => ((AdapterLayer)adapters.First(a => a.name == name).module).DeltaWeight());
        var accuracy = result.Test?.TryGetValue(ClassificationMetrics.Accuracy, out var acc) == true ? acc : double.NaN;
        var residual = new ResidualRun(run.Label, run.Key, accuracy, norms);
        Write(file, residual);
        return residual;
    }

    /// <summary>Per block, one column per run: ‖ΔW‖ of the layers named <paramref name="layer"/> (e.g. fc1), normalised by each run's largest layer (as Fig. 7 plots).</summary>
    public static DataFrame Frame(IReadOnlyList<ResidualRun> runs, string layer)
    {
        var blocks = Blocks(runs[0], layer);
        var columns = new List<DataFrameColumn> { new Int32DataFrameColumn("block", blocks.Select(b => b.Block)) };
        foreach (var r in runs)
        {
            var sel = Blocks(r, layer);
            var max = sel.Max(b => b.Norm.Norm);
            columns.Add(new DoubleDataFrameColumn($"{r.Label}", sel.Select(b => max > 0 ? b.Norm.Norm / max : 0)));
        }
        foreach (var r in runs)
            columns.Add(new DoubleDataFrameColumn($"‖ΔW‖ {r.Label}", Blocks(r, layer).Select(b => b.Norm.Norm)));
        return new DataFrame(columns);
    }

    /// <summary>Per run: test accuracy and the paper's finding beside the per-run norms of the final block relative to the first.</summary>
    public static DataFrame SummaryFrame(IReadOnlyList<ResidualRun> runs, string layer) => new(
        new StringDataFrameColumn("method", runs.Select(r => r.Label)),
        new DoubleDataFrameColumn("test accuracy", runs.Select(r => r.TestAccuracy)),
        new DoubleDataFrameColumn($"‖ΔW‖ {layer}, first block", runs.Select(r => Blocks(r, layer)[0].Norm.Norm)),
        new DoubleDataFrameColumn($"‖ΔW‖ {layer}, last block", runs.Select(r => Blocks(r, layer)[^1].Norm.Norm)),
        new StringDataFrameColumn("paper (App. C)", runs.Select(_ => PaperFinding)));

    public static IReadOnlyList<(int Block, ResidualNorm Norm)> Blocks(ResidualRun run, string layer)
    {
        var sel = run.Norms.Where(n => n.Module.EndsWith("." + layer, StringComparison.Ordinal)).Select(n => (AppendixG.Block(n.Module), n)).OrderBy(x => x.Item1).ToList();
        return sel.Count > 0 ? sel : throw new ArgumentException($"run {run.Label} has no adapted '{layer}' layers");
    }

    private static void Write(string file, ResidualRun r) => AtomicFile.WriteAllText(file, new JsonObject
    {
        ["label"] = r.Label,
        ["key"] = r.Key,
        ["test_accuracy"] = double.IsFinite(r.TestAccuracy) ? r.TestAccuracy : null,
        ["norms"] = new JsonArray(r.Norms.Select(n => (JsonNode)new JsonObject { ["module"] = n.Module, ["norm"] = n.Norm }).ToArray()),
    }.ToJsonString());

    private static ResidualRun Read(string file)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var pairs = o["norms"]!.AsArray().Select(n => (Module: n!["module"]!.GetValue<string>(), Norm: n["norm"]!.GetValue<double>())).ToList();
            if (pairs.Count == 0) throw new InvalidOperationException("no norms");
            var max = pairs.Max(p => p.Norm);
            var norms = pairs.Select(p => new ResidualNorm(p.Module, p.Norm, max > 0 ? p.Norm / max : 0)).ToList();
            return new ResidualRun(o["label"]!.GetValue<string>(), o["key"]!.GetValue<string>(), o["test_accuracy"]?.GetValue<double>() ?? double.NaN, norms);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{file}: damaged residual norms ({e.Message}); delete it to train the run again");
        }
    }
}
