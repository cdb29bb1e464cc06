using System.Text.Json.Nodes;
using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Masks;

namespace PartialLoRA.Experiments.Methods;

/// <summary>
/// LoRA with Eq. 6 masks from Algorithm 1's plan (derived on the pretrained model, cached; <see cref="PlanOptions"/>):
/// <list type="bullet">
/// <item><c>partial-lora</c> — the paper's method: u_row ~ Bernoulli(p_row), u_col ~ Bernoulli(p_col) per layer, drawn
/// from the run's seed;</item>
/// <item><c>targeted-lora</c> — exactly the rows and columns Algorithm 1 kept (the most important ones, Table 2);</item>
/// <item><c>inverted</c> — their complement (Table 2's ablation);</item>
/// <item><c>stochastic</c> — App. D's middle ground: the kept counts of Algorithm 1, indices sampled from
/// softmax(importance / <c>temperature</c>) with the run's seed.</item>
/// </list>
/// <c>storage</c>: <c>compact</c> (only the active rows of B and columns of A exist; the default) or <c>dense</c> (Eq. 6
/// as written). Both train the same function.
/// </summary>
public sealed class PlannedLoraMethod(string name) : LoraBase
{
    public static readonly IReadOnlyList<string> Names = ["partial-lora", "targeted-lora", "inverted", "stochastic"];

    public override string Name => name;

    public override string Description => name switch
    {
        "partial-lora" => "Partial-LoRA (Eq. 6): LoRA with Bernoulli row/column masks at Algorithm 1's per-layer ratios",
        "targeted-lora" => "Targeted-LoRA (Table 2): LoRA on exactly the rows/columns Algorithm 1 keeps",
        "inverted" => "Inverted (Table 2): LoRA on the complement of Targeted-LoRA's rows/columns",
        _ => "Stochastic (App. D): Algorithm 1's counts, rows/columns sampled from softmax(importance / T)",
    };

    protected override void ReadMore(JsonFields o, JsonObject n)
    {
        PlanOptions.Read(o, n);
        AdapterOptions.Choice(o, n, "storage", "compact", "compact", "dense");
        if (name == "stochastic") AdapterOptions.Positive(o, n, "temperature", 1.0);
    }

    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s)
    {
        var derived = PlanOptions.Plan(c, o, t);
        return Lora(c, o, t, s) with { Masks = Masks(name, derived, o, c.Seed), Storage = Storage(o) };
    }

    internal static MaskStorage Storage(JsonObject o) => o["storage"]!.GetValue<string>() == "dense" ? MaskStorage.Dense : MaskStorage.Compact;

    internal static RowColMaskSpec Masks(string method, DerivedPlan derived, JsonObject o, long seed)
    {
        var plan = derived.Plan.ByModule;
        return method switch
        {
            "targeted-lora" => new TargetedMasks(plan),
            "inverted" => new InvertedMasks(plan),
            "stochastic" => new SampledMasks(plan,
                derived.Scores.ToDictionary(p => p.Key, p => new ImportanceScores(
                    p.Value.Rows.Select(v => (float)v).ToArray(), p.Value.Cols.Select(v => (float)v).ToArray())),
                JsonFields.GetDouble(o, "temperature"), seed),
            _ => new PartialMasks(plan, seed),
        };
    }
}

/// <summary><c>partial-adalora</c> (§5): AdaLoRA with Partial-LoRA's Bernoulli masks from Algorithm 1's plan.</summary>
public sealed class PartialAdaLoraMethod : AdaLoraMethod
{
    public override string Name => "partial-adalora";
    public override string Description => "Partial-AdaLoRA: AdaLoRA with Eq. 6 Bernoulli masks at Algorithm 1's per-layer ratios";

    protected override void ReadMore(JsonFields o, JsonObject n)
    {
        PlanOptions.Read(o, n);
        AdapterOptions.Choice(o, n, "storage", "compact", "compact", "dense");
    }

    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s)
    {
        var derived = PlanOptions.Plan(c, o, t);
        return AdaLora(c, o, t, s) with { Masks = PlannedLoraMethod.Masks("partial-lora", derived, o, c.Seed), Storage = PlannedLoraMethod.Storage(o) };
    }
}
