using System.Text.Json.Nodes;
using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments.Methods;

/// <summary>
/// The LoRA options (Eq. 1–2, PEFT's LoraConfig): <c>rank</c> (8), <c>alpha</c> (8, PEFT's default; scaling α/r),
/// <c>dropout</c> (0), <c>init</c> (<c>default</c> = PEFT's kaiming-uniform A, or <c>gaussian</c>), <c>rslora</c> (false).
/// </summary>
public abstract class LoraBase : AdapterMethod
{
    /// <summary>The rank when the spec gives none.</summary>
    protected virtual int DefaultRank => 8;

    protected override void ReadOptions(JsonFields o, JsonObject n)
    {
        AdapterOptions.Rank(o, n, fallback: DefaultRank);
        AdapterOptions.Positive(o, n, "alpha", 8);
        AdapterOptions.Fraction(o, n, "dropout", 0, allowZero: true, allowOne: false);
        AdapterOptions.Choice(o, n, "init", "default", "default", "gaussian");
        n["rslora"] = o.Bool("rslora", false);
        ReadMore(o, n);
    }

    protected virtual void ReadMore(JsonFields o, JsonObject n) { }

    protected static LoraConfig Lora(MethodContext c, JsonObject o, TargetModules targets, IReadOnlyList<string> save) => new()
    {
        TargetModules = targets,
        ModulesToSave = save,
        Seed = c.Seed,
        R = JsonFields.GetInt(o, "rank"),
        Alpha = JsonFields.GetDouble(o, "alpha"),
        Dropout = JsonFields.GetDouble(o, "dropout"),
        Init = o["init"]!.GetValue<string>() == "gaussian" ? LoraInit.Gaussian : LoraInit.Default,
        UseRsLora = o["rslora"]!.GetValue<bool>(),
    };
}

/// <summary><c>lora</c>: LoRA (Hu et al. 2022), ΔW = (α/r)·B·A.</summary>
public sealed class LoraMethod : LoraBase
{
    public override string Name => "lora";
    public override string Description => "LoRA (Eq. 1-2): dense low-rank residual B·A";
    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s) => Lora(c, o, t, s);
}

/// <summary><c>dora</c>: DoRA (Liu et al. 2024), magnitude × normalised direction of W + ΔW.</summary>
public sealed class DoraMethod : LoraBase
{
    public override string Name => "dora";
    public override string Description => "DoRA: trainable magnitude times the normalised direction of W + BA";
    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s) => Lora(c, o, t, s) with { UseDora = true };
}

/// <summary><c>loraplus</c>: LoRA+ (Hayou et al. 2024), B at λ × the learning rate (<c>ratio</c>, default 16 as the paper recommends).</summary>
public sealed class LoraPlusMethod : LoraBase
{
    public override string Name => "loraplus";
    public override string Description => "LoRA+: LoRA with B's learning rate ratio x A's (PEFT's create_loraplus_optimizer groups)";
    protected override void ReadMore(JsonFields o, JsonObject n) => AdapterOptions.Positive(o, n, "ratio", 16);
    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s) => Lora(c, o, t, s);

    protected override TrainableSetup Setup(AdapterModel adapter, JsonObject options)
    {
        var ratio = JsonFields.GetDouble(options, "ratio");
        var g = LoraPlus.Split(adapter);
        var groups = new List<ParameterGroup>();
        if (g.A.Count > 0) groups.Add(new ParameterGroup("A", g.A.Select(p => p.Parameter).ToList()));
        if (g.B.Count > 0) groups.Add(new ParameterGroup("B", g.B.Select(p => p.Parameter).ToList(), ratio));
        if (g.BNoDecay.Count > 0) groups.Add(new ParameterGroup("B_no_decay", g.BNoDecay.Select(p => p.Parameter).ToList(), ratio, WeightDecay: 0));
        return ForAdapter(adapter, new TrainableSetup(groups, 0));
    }
}

/// <summary>
/// Element-masked LoRA: <c>balanced</c> (Frankle &amp; Carbin 2019: every layer keeps the same <c>density</c>) and
/// <c>pyramidal</c> (Liu et al. 2022: block l keeps p^l, <c>p</c> = the first block's density), §5.3 / Fig. 5.
/// </summary>
public sealed class ElementMaskedLoraMethod(string name) : LoraBase
{
    public override string Name => name;
    public override string Description => name == "balanced"
        ? "Balanced random pruning (Fig. 5): LoRA with element masks keeping the same density in every layer"
        : "Pyramidal random pruning (Fig. 5): LoRA with element masks keeping p^l in block l";

    private string Field => name == "balanced" ? "density" : "p";

    protected override void ReadMore(JsonFields o, JsonObject n) => AdapterOptions.Fraction(o, n, Field, null, allowZero: false, allowOne: true);

    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s)
    {
        var d = JsonFields.GetDouble(o, Field);
        ElementMasks masks = name == "balanced" ? ElementMasks.Balanced(d, c.Seed) : ElementMasks.Pyramidal(d, c.Seed, Depth(c.Model));
        return Lora(c, o, t, s) with { Masks = masks, Storage = MaskStorage.Dense };
    }

    // Depth l = 1 + the block holding the module, as the model itself reports it.
    private static Func<string, int> Depth(ModelHandle model) => path =>
        model.Classifier is Models.IBlockwiseClassifier b && b.BlockIndexOf(path) is { } i ? i + 1 : ElementMasks.DepthFromPath(path);
}

/// <summary><c>masking</c>: random element masking of ΔW (Xu &amp; Zhang 2024; Table 1's "Masking"), a sparse trainable ΔW at <c>density</c>.</summary>
public sealed class RandomMaskingMethod : AdapterMethod
{
    public override string Name => "masking";
    public override string Description => "Random masking (Xu & Zhang 2024): a sparse trainable delta-W at a fixed random density";
    protected override void ReadOptions(JsonFields o, JsonObject n) => AdapterOptions.Fraction(o, n, "density", null, allowZero: false, allowOne: true);
    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s) =>
        new MaskingConfig { TargetModules = t, ModulesToSave = s, Seed = c.Seed, Density = JsonFields.GetDouble(o, "density") };
}

/// <summary><c>vera</c>: VeRA (Kopiczko et al. 2024), shared frozen random A/B, trainable scaling vectors; PEFT's defaults r = 256, d_initial = 0.1.</summary>
public sealed class VeraMethod : AdapterMethod
{
    public override string Name => "vera";
    public override string Description => "VeRA: frozen shared random projections, trainable scaling vectors d and b";
    protected override void ReadOptions(JsonFields o, JsonObject n)
    {
        AdapterOptions.Rank(o, n, fallback: 256);
        AdapterOptions.Fraction(o, n, "dropout", 0, allowZero: true, allowOne: false);
        n["d_initial"] = o.Double("d_initial", 0.1);
        n["projection_seed"] = o.Long("projection_seed", 0);
    }
    protected override AdapterConfig Config(MethodContext c, JsonObject o, TargetModules t, IReadOnlyList<string> s) => new VeraConfig
    {
        TargetModules = t, ModulesToSave = s, Seed = c.Seed,
        R = JsonFields.GetInt(o, "rank"), Dropout = JsonFields.GetDouble(o, "dropout"),
        DInitial = JsonFields.GetDouble(o, "d_initial"), ProjectionPrngKey = JsonFields.GetLong(o, "projection_seed"),
    };
}
