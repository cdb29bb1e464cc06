using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Runtime;
using PartialLoRA.Training;

namespace PartialLoRA.Reproduction;

/// <summary>
/// One trained run's residual norms ‖ΔW_l‖ (App. C), its grid point, its best validation score (the sweep's selection
/// metric, which picks the model a method is shown with) and its test accuracy.
/// </summary>
public sealed record ResidualRun(string Label, string Key, long Seed, double LearningRate, double Validation, double TestAccuracy, IReadOnlyList<ResidualNorm> Norms);

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
            runs.Add(File.Exists(file) ? Load(file) : Train(catalog, executor, run, resultsDir, file, cancel));
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
        var record = RunRecord.Finished(config, run.Label, result, null);
        using (var writer = ResultsWriter.Open(resultsDir, null))
            if (!writer.FinishedKeys.Contains(run.Key)) writer.Append(record);
        var adapters = model.Classifier.Module.named_modules().Where(m => m.module is AdapterLayer).ToList();
        if (adapters.Count == 0) throw new InvalidOperationException($"run {run.Label}: the trained model has no adapter layers");
        var norms = ResidualNorms.Compute(adapters.Select(a => a.name), name => ((AdapterLayer)adapters.First(a => a.name == name).module).DeltaWeight());
        var accuracy = result.Test?.TryGetValue(ClassificationMetrics.Accuracy, out var acc) == true ? acc : double.NaN;
        var validation = record.SelectionScore; // the score sweeps rank runs by (saved as null, read back as NaN, when absent)
        var residual = new ResidualRun(run.Label, run.Key, config.Seed, config.LearningRate, double.IsFinite(validation) ? validation : double.NaN, accuracy, norms);
        Save(file, residual);
        return residual;
    }

    /// <summary>
    /// One run per method, as App. C's figures show one model per method: the run with the best validation score
    /// (the protocol's model selection; ties go to the earlier grid point), in the order the methods first appear.
    /// </summary>
    public static IReadOnlyList<ResidualRun> Selected(IEnumerable<ResidualRun> runs) =>
        runs.Select((r, i) => (r, i)).GroupBy(x => x.r.Label) // groups keep the order their labels first appear in
            .Select(g => g.OrderByDescending(x => double.IsNaN(x.r.Validation) ? double.NegativeInfinity : x.r.Validation).ThenBy(x => x.i).First().r)
            .ToList();

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

    /// <summary>Per run: its grid point, validation and test accuracy, and the paper's finding beside the norms of the first and final block.</summary>
    public static DataFrame SummaryFrame(IReadOnlyList<ResidualRun> runs, string layer) => new(
        new StringDataFrameColumn("method", runs.Select(r => r.Label)),
        new Int64DataFrameColumn("seed", runs.Select(r => r.Seed)),
        new DoubleDataFrameColumn("learning rate", runs.Select(r => r.LearningRate)),
        new DoubleDataFrameColumn("validation accuracy", runs.Select(r => r.Validation)),
        new DoubleDataFrameColumn("test accuracy", runs.Select(r => r.TestAccuracy)),
        new DoubleDataFrameColumn($"‖ΔW‖ {layer}, first block", runs.Select(r => Blocks(r, layer)[0].Norm.Norm)),
        new DoubleDataFrameColumn($"‖ΔW‖ {layer}, last block", runs.Select(r => Blocks(r, layer)[^1].Norm.Norm)),
        new StringDataFrameColumn("paper (App. C)", runs.Select(_ => PaperFinding)));

    public static IReadOnlyList<(int Block, ResidualNorm Norm)> Blocks(ResidualRun run, string layer)
    {
        var sel = run.Norms.Where(n => n.Module.EndsWith("." + layer, StringComparison.Ordinal)).Select(n => (AppendixG.Block(n.Module), n)).OrderBy(x => x.Item1).ToList();
        return sel.Count > 0 ? sel : throw new ArgumentException($"run {run.Label} has no adapted '{layer}' layers");
    }

    /// <summary>Writes one run's norms file (atomically): what <see cref="Run"/> keeps so a second execution need not train.</summary>
    public static void Save(string file, ResidualRun r) => AtomicFile.WriteAllText(file, new JsonObject
    {
        ["label"] = r.Label,
        ["key"] = r.Key,
        ["seed"] = r.Seed,
        ["learning_rate"] = r.LearningRate,
        ["validation"] = double.IsFinite(r.Validation) ? r.Validation : null,
        ["test_accuracy"] = double.IsFinite(r.TestAccuracy) ? r.TestAccuracy : null,
        ["norms"] = new JsonArray(r.Norms.Select(n => (JsonNode)new JsonObject { ["module"] = n.Module, ["norm"] = n.Norm }).ToArray()),
    }.ToJsonString());

    /// <summary>Reads a file written by <see cref="Save"/>; a damaged one gives an error naming it and what is wrong.</summary>
    public static ResidualRun Load(string file)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var pairs = o["norms"]!.AsArray().Select(n => (Module: n!["module"]!.GetValue<string>(), Norm: n["norm"]!.GetValue<double>())).ToList();
            if (pairs.Count == 0) throw new InvalidOperationException("no norms");
            var max = pairs.Max(p => p.Norm);
            var norms = pairs.Select(p => new ResidualNorm(p.Module, p.Norm, max > 0 ? p.Norm / max : 0)).ToList();
            return new ResidualRun(o["label"]!.GetValue<string>(), o["key"]!.GetValue<string>(), JsonFields.GetLong(o, "seed"), JsonFields.GetDouble(o, "learning_rate"),
                o["validation"]?.GetValue<double>() ?? double.NaN, o["test_accuracy"]?.GetValue<double>() ?? double.NaN, norms);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{file}: damaged residual norms ({e.Message}); delete it to train the run again");
        }
    }
}
