using System.Text.Json;
using System.Text.Json.Nodes;
using PartialLoRA.Importance;
using PartialLoRA.Sparsity;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments;

/// <summary>A derived plan and the importance scores it was derived from (the stochastic variant samples from them).</summary>
public sealed record DerivedPlan(SparsityPlan Plan, IReadOnlyDictionary<string, (double[] Rows, double[] Cols)> Scores, string File, bool FromCache);

/// <summary>
/// Sparsity plans of Algorithm 1 (§4.2.1, with §4.2.2's importance), derived once per (model weights, dataset and
/// its few-shot draw, target modules, importance measure, flow mode, threshold τ, code version) and kept in the
/// cache folder as <c>plans/&lt;key&gt;.json</c> (the plan, <see cref="SparsityPlanJson"/>) beside
/// <c>&lt;key&gt;.scores.json</c> (the importance scores). The 20 runs of a (method, dataset) share one derivation:
/// the run seed only draws the Bernoulli masks (Partial-LoRA) or the App. D samples, not the plan. Derivation runs on
/// the pretrained model, before any adapter is injected; it masks and restores the weights in place.
/// </summary>
public static class PlanCache
{
    public sealed record Request(
        ModelSpec Model,
        DatasetSpec Dataset,
        IReadOnlyList<string> Targets,
        ImportanceMeasure Measure,
        FlowMode Flow,
        double Threshold,
        SearchStrategy Search,
        int BatchSize)
    {
        /// <summary>What determines the plan (search strategy and batch size change the cost, not the answer).</summary>
        public JsonObject KeyJson(string codeVersion) => new()
        {
            ["model"] = Model.ToJson(),
            ["dataset"] = Dataset.ToJson(),
            ["targets"] = new JsonArray(Targets.Select(t => (JsonNode)t).ToArray()),
            ["measure"] = SparsityPlanJson.Name(Measure),
            ["flow"] = SparsityPlanJson.Name(Flow),
            ["threshold"] = Threshold,
            ["code_version"] = codeVersion,
        };
    }

    public static DerivedPlan GetOrDerive(Request request, ModelHandle model, TrainingTask task, Device device, string cacheFolder)
    {
        var key = CanonicalJson.Sha256(request.KeyJson(CodeVersion.Current));
        var folder = Path.Combine(cacheFolder, "plans");
        var planFile = Path.Combine(folder, key + ".json");
        var scoresFile = Path.Combine(folder, key + ".scores.json");
        if (File.Exists(planFile) && File.Exists(scoresFile))
            return new DerivedPlan(SparsityPlanJson.Load(planFile), ReadScores(scoresFile), planFile, true);

        var fewShot = task.FewShot ?? throw new InvalidOperationException(
            $"dataset {task.Name} has no few-shot set D_t for Algorithm 1");
        using var scope = torch.NewDisposeScope();
        var data = Materialize(fewShot, device);
        // Images: m shots per class; GLUE's ratio-based D_t: its size per class.
        var shots = request.Dataset.Options.ContainsKey("shots") ? JsonFields.GetInt(request.Dataset.Options, "shots") : data.Count / task.NumClasses;
        var source = new PlanSource(request.Model.Name, request.Model.CheckpointSha256 == "random-init"
            ? $"random-init:{CanonicalJson.Sha256(request.Model.ToJson())}" : "sha256:" + request.Model.CheckpointSha256, task.Name, shots);
        var options = new PlannerOptions
        {
            Measure = request.Measure,
            Flow = request.Flow,
            Derivation = new DerivationOptions { Threshold = request.Threshold, Search = request.Search, BatchSize = request.BatchSize },
        };
        var result = SparsityPlanner.Plan(model.Classifier, data, request.Targets, source, options);
        var scores = result.Scores.ToDictionary(x => x.Module, x => (x.Rows, x.Cols));
        WriteScores(scoresFile, scores);
        SparsityPlanJson.Save(result.Plan, planFile);
        return new DerivedPlan(result.Plan, scores, planFile, false);
    }

    /// <summary>D_t as one tensor set on the device (images after the evaluation transform; tokens cut to the longest row).</summary>
    public static FewShotSet Materialize(ILabelledBatches fewShot, Device device)
    {
        var batch = fewShot.Batches(fewShot.Count, null, device).Single();
        return new FewShotSet(batch.Inputs, batch.Labels, batch.AttentionMask);
    }

    private static void WriteScores(string file, IReadOnlyDictionary<string, (double[] Rows, double[] Cols)> scores)
    {
        var o = new JsonObject();
        foreach (var (module, (rows, cols)) in scores)
            o[module] = new JsonObject
            {
                ["rows"] = new JsonArray(rows.Select(v => (JsonNode)v).ToArray()),
                ["cols"] = new JsonArray(cols.Select(v => (JsonNode)v).ToArray()),
            };
        AtomicFile.WriteAllText(file, o.ToJsonString());
    }

    private static Dictionary<string, (double[] Rows, double[] Cols)> ReadScores(string file)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new InvalidDataException("not an object");
            return o.ToDictionary(p => p.Key, p => (
                p.Value!["rows"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(),
                p.Value!["cols"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray()));
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NullReferenceException or InvalidOperationException)
        {
            throw new InvalidDataException($"{file}: damaged importance scores ({e.Message}); delete it and its plan to derive again");
        }
    }
}
