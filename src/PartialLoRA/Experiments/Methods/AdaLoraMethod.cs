using System.Text.Json.Nodes;
using PartialLoRA.Adapters;

namespace PartialLoRA.Experiments.Methods;

/// <summary>
/// <c>adalora</c>: AdaLoRA (Zhang et al. 2023; PEFT's AdaLoraConfig) — SVD-form residuals whose rank budget shrinks
/// from <c>init_r</c> (12) to <c>target_r</c> (8) per module on the cubic schedule, with the orthogonality
/// regulariser (<c>orth_reg_weight</c> 0.5) and EMA importance (β1 = β2 = 0.85). The schedule's warm-up and final
/// phases are fractions of the run's steps (<c>t_init_ratio</c> 0.1, <c>t_final_ratio</c> 0.2, re-allocating every
/// <c>delta_t</c> = 10 steps), since the step count depends on the dataset and epochs. Early stopping keeps the best
/// validation state, which may predate the final allocation (more triplets than target_r), as with HF Trainer's
/// load_best_model_at_end.
/// </summary>
public class AdaLoraMethod : AdapterMethod
{
    public override string Name => "adalora";
    public override string Description => "AdaLoRA: SVD-form residuals with an adaptive rank budget and orthogonality regulariser";

    protected override void ReadOptions(JsonFields o, JsonObject n)
    {
        var init = AdapterOptions.Rank(o, n, "init_r", 12);
        var target = AdapterOptions.Rank(o, n, "target_r", 8);
        if (target > init) throw o.Error(o.FieldPath("target_r"), $"{target} exceeds init_r {init}");
        AdapterOptions.Positive(o, n, "alpha", 8);
        AdapterOptions.Fraction(o, n, "dropout", 0, allowZero: true, allowOne: false);
        var ti = AdapterOptions.Fraction(o, n, "t_init_ratio", 0.1, allowZero: true, allowOne: false);
        var tf = AdapterOptions.Fraction(o, n, "t_final_ratio", 0.2, allowZero: true, allowOne: false);
        if (ti + tf >= 1) throw o.Error(o.FieldPath("t_final_ratio"), $"t_init_ratio + t_final_ratio = {ti + tf} leaves no budgeting phase; keep it below 1");
        var dt = o.Int("delta_t", 10);
        if (dt < 1) throw o.Error(o.FieldPath("delta_t"), $"{dt}: must be ≥ 1");
        n["delta_t"] = dt;
        AdapterOptions.Fraction(o, n, "beta1", 0.85, allowZero: false, allowOne: false);
        AdapterOptions.Fraction(o, n, "beta2", 0.85, allowZero: false, allowOne: false);
        var w = o.Double("orth_reg_weight", 0.5);
        if (!(w >= 0)) throw o.Error(o.FieldPath("orth_reg_weight"), $"{w}: must be ≥ 0");
        n["orth_reg_weight"] = w;
        ReadMore(o, n);
    }

    protected virtual void ReadMore(JsonFields o, JsonObject n) { }

    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s) => AdaLora(c, o, t, s);

    protected static AdaLoraConfig AdaLora(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s)
    {
        var total = c.TotalSteps;
        return new AdaLoraConfig
        {
            TargetModules = t, ModulesToSave = s, Seed = c.Seed,
            InitR = JsonFields.GetInt(o, "init_r"), TargetR = JsonFields.GetInt(o, "target_r"),
            Alpha = JsonFields.GetDouble(o, "alpha"), Dropout = JsonFields.GetDouble(o, "dropout"),
            TotalStep = total,
            TInit = (int)Math.Floor(JsonFields.GetDouble(o, "t_init_ratio") * total),
            TFinal = (int)Math.Floor(JsonFields.GetDouble(o, "t_final_ratio") * total),
            DeltaT = JsonFields.GetInt(o, "delta_t"),
            Beta1 = JsonFields.GetDouble(o, "beta1"), Beta2 = JsonFields.GetDouble(o, "beta2"),
            OrthRegWeight = JsonFields.GetDouble(o, "orth_reg_weight"),
        };
    }
}
