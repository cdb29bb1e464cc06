using System.Text.Json.Nodes;
using PartialLoRA.Importance;
using PartialLoRA.Sparsity;

namespace PartialLoRA.Experiments.Methods;

/// <summary>
/// The options of the methods whose masks come from Algorithm 1: <c>importance</c> (§4.2.2: <c>svd</c>, Eq. 4–5, the
/// paper's; <c>snip</c>; <c>imp</c>), <c>flow</c> (App. H: <c>isolated</c> or <c>continuous</c>), <c>threshold</c>
/// (τ = 0.9), <c>search</c> (<c>binary</c>, <c>galloping</c> or the printed one-at-a-time <c>naive</c> loop — the same answer when
/// few-shot accuracy never recovers as more indices are removed (see SparsityRatioDerivation), at different cost), <c>derive_batch_size</c> (samples per forward pass of D_t; 0 = all at once).
/// </summary>
public static class PlanOptions
{
    public static void Read(JsonFields o, JsonObject n)
    {
        AdapterOptions.Choice(o, n, "importance", "svd", "svd", "snip", "imp");
        AdapterOptions.Choice(o, n, "flow", "isolated", "isolated", "continuous");
        AdapterOptions.Fraction(o, n, "threshold", 0.9, allowZero: false, allowOne: true);
        AdapterOptions.Choice(o, n, "search", "binary", "binary", "galloping", "naive");
        var b = o.Int("derive_batch_size", 32);
        if (b < 0) throw o.Error(o.FieldPath("derive_batch_size"), $"{b}: must be ≥ 0 (0 = the whole few-shot set at once)");
        n["derive_batch_size"] = b;
    }

    /// <summary>The plan for the modules the adapter will target, derived (or read from the cache) on the pretrained model.</summary>
    public static DerivedPlan Plan(MethodContext c, JsonObject o, Adapters.TargetModules targets)
    {
        var paths = c.Model.Classifier.Module.named_modules()
            .Where(m => m.name != "" && m.module is TorchSharp.Modules.Linear && targets.Matches(m.name))
            .Select(m => m.name).ToList();
        if (paths.Count == 0) throw new ArgumentException($"no Linear module of {c.Model.Name} matches the target modules {targets}");
        var request = new PlanCache.Request(c.ModelSpec, c.DatasetSpec, paths,
            o["importance"]!.GetValue<string>() switch
            {
                "svd" => ImportanceMeasure.Svd, "snip" => ImportanceMeasure.Snip, "imp" => ImportanceMeasure.Imp,
                var other => throw Unvalidated("importance", other),
            },
            o["flow"]!.GetValue<string>() == "continuous" ? FlowMode.Continuous : FlowMode.Isolated,
            JsonFields.GetDouble(o, "threshold"),
            o["search"]!.GetValue<string>() switch
            {
                "binary" => SearchStrategy.Binary, "galloping" => SearchStrategy.Galloping, "naive" => SearchStrategy.Naive,
                var other => throw Unvalidated("search", other),
            },
            JsonFields.GetInt(o, "derive_batch_size"));
        return PlanCache.GetOrDerive(request, c.Model, c.Task, c.Device, c.Workspace);
    }

    // Read validates every choice; a value reaching Plan unvalidated is a bug, never a silent default.
    private static InvalidOperationException Unvalidated(string field, string value) =>
        new($"plan option {field} = '{value}' was not validated by PlanOptions.Read");
}
