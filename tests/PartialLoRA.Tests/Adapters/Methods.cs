using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Sparsity;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

/// <summary>Every adapter flavour on <see cref="TinyTransformer"/>, with nonzero ΔW, for tests that must hold for all.</summary>
internal static class Methods
{
    public static readonly string[] All =
    [
        "lora", "lora-gaussian", "rslora", "dora", "vera", "adalora", "partial-dense", "partial-compact", "targeted-compact",
        "inverted-dense", "sampled-compact", "balanced", "pyramidal", "partial-adalora-dense", "partial-adalora-compact", "masking",
    ];

    public static IEnumerable<object[]> Data => All.Select(m => new object[] { m });

    /// <summary>A plan for every targeted projection of <see cref="TinyTransformer"/>: rows/cols kept with the given ratios, index sets drawn from the seed.</summary>
    public static Dictionary<string, LayerSparsity> Plan(nn.Module model, double rowRatio, double colRatio, long seed = 5, string[]? targets = null)
    {
        var t = TargetModules.Of(targets ?? TinyTransformer.AllLinear);
        var plan = new Dictionary<string, LayerSparsity>();
        using var g = new torch.Generator((ulong)seed);
        foreach (var (path, m) in model.named_modules())
        {
            if (path == "" || !t.Matches(path) || m is not TorchSharp.Modules.Linear l) continue;
            var (rows, cols) = ((int)l.out_features, (int)l.in_features);
            var kr = (int)Math.Round(rowRatio * rows);
            var kc = (int)Math.Round(colRatio * cols);
            using var pr = torch.randperm(rows, generator: g);
            using var pc = torch.randperm(cols, generator: g);
            plan[path] = new LayerSparsity(path, rows, cols, kr, kc,
                pr.data<long>().Take(kr).Select(i => (int)i).Order().ToArray(),
                pc.data<long>().Take(kc).Select(i => (int)i).Order().ToArray());
        }
        return plan;
    }

    public static AdapterConfig Config(string method, nn.Module model) => method switch
    {
        "lora" => Kit.Lora(),
        "lora-gaussian" => Kit.Lora(init: LoraInit.Gaussian),
        "rslora" => Kit.Lora() with { UseRsLora = true },
        "dora" => Kit.Lora() with { UseDora = true },
        "vera" => new VeraConfig { TargetModules = TargetModules.Of(TinyTransformer.AllLinear), R = 6, ProjectionPrngKey = 3 },
        "adalora" => AdaLora(),
        "partial-dense" => Kit.Lora() with { Masks = new PartialMasks(Plan(model, 0.5, 0.4), 7), Storage = MaskStorage.Dense },
        "partial-compact" => Kit.Lora() with { Masks = new PartialMasks(Plan(model, 0.5, 0.4), 7), Storage = MaskStorage.Compact },
        "targeted-compact" => Kit.Lora() with { Masks = new TargetedMasks(Plan(model, 0.3, 0.6)) },
        "inverted-dense" => Kit.Lora() with { Masks = new InvertedMasks(Plan(model, 0.3, 0.6)), Storage = MaskStorage.Dense },
        "sampled-compact" => Kit.Lora() with { Masks = new SampledMasks(Plan(model, 0.5, 0.5), Scores(model), 0.7, 9) },
        "balanced" => Kit.Lora() with { Masks = ElementMasks.Balanced(0.5, 4), Storage = MaskStorage.Dense },
        "pyramidal" => Kit.Lora() with { Masks = ElementMasks.Pyramidal(0.7, 4), Storage = MaskStorage.Dense },
        "partial-adalora-dense" => AdaLora() with { Masks = new PartialMasks(Plan(model, 0.5, 0.5), 8), Storage = MaskStorage.Dense },
        "partial-adalora-compact" => AdaLora() with { Masks = new PartialMasks(Plan(model, 0.5, 0.5), 8), Storage = MaskStorage.Compact },
        "masking" => new MaskingConfig { TargetModules = TargetModules.Of(TinyTransformer.AllLinear), Density = 0.05, Seed = 2 },
        _ => throw new ArgumentException(method),
    };

    public static AdaLoraConfig AdaLora() => new()
    {
        TargetModules = TargetModules.Of(TinyTransformer.AllLinear),
        InitR = 6,
        TargetR = 3,
        TotalStep = 20,
        TInit = 2,
        TFinal = 4,
        DeltaT = 2,
        Seed = 3,
    };

    public static Dictionary<string, ImportanceScores> Scores(nn.Module model)
    {
        using var g = new torch.Generator(77);
        var scores = new Dictionary<string, ImportanceScores>();
        foreach (var (path, m) in model.named_modules())
        {
            if (m is not TorchSharp.Modules.Linear l || path == "classifier") continue;
            using var r = torch.rand(l.out_features, generator: g);
            using var c = torch.rand(l.in_features, generator: g);
            scores[path] = new ImportanceScores(r.data<float>().ToArray(), c.data<float>().ToArray());
        }
        return scores;
    }

    /// <summary>Injects and makes every ΔW nonzero (parameters that start at zero get noise; masks stay applied).</summary>
    public static AdapterModel Build(string method, nn.Module model)
    {
        var am = AdapterModel.Inject(model, Config(method, model));
        var seed = 100;
        foreach (var layer in am.Layers)
        {
            switch (layer)
            {
                case VeraLinear v: Kit.Perturb(v.LambdaB, seed++, 0.5); break;
                case AdaLoraLinear a: Kit.Perturb(a.E, seed++, 0.5); break;
                case MaskedDeltaLinear d: Kit.Perturb(d.Values, seed++, 0.2); break;
                case DoraLinear d: Kit.Perturb(d.Magnitude, seed++, 0.1); break;
                case LoraLinear { RowColMask: null, ElementMask: null } l when l.B.abs().max().item<float>() == 0: Kit.Perturb(l.B, seed++, 0.1); break;
            }
        }
        return am;
    }

    /// <summary>Trained entries by the closed form of each method.</summary>
    public static long ClosedFormCount(AdapterModel am) => am.Layers.Sum(l => l switch
    {
        LoraLinear { RowColMask: { } m } x => (long)x.Rank * (m.KeptRows + m.KeptCols),
        LoraLinear { ElementMask: { } e } => (long)e.KeepA.Count(k => k) + e.KeepB.Count(k => k),
        LoraLinear x => (long)x.Rank * (x.OutFeatures + x.InFeatures),
        CompactLoraLinear c => (long)c.Rank * (c.Mask.RowKeep.Count(k => k) + c.Mask.ColKeep.Count(k => k)),
        DoraLinear d => (long)d.Rank * (d.OutFeatures + d.InFeatures) + d.OutFeatures,
        VeraLinear v => v.Rank + v.OutFeatures,
        AdaLoraLinear { Mask: { } m } a => (long)a.Rank * (m.RowKeep.Count(k => k) + m.ColKeep.Count(k => k) + 1),
        AdaLoraLinear a => (long)a.Rank * (a.OutFeatures + a.InFeatures + 1),
        MaskedDeltaLinear d => (long)Math.Ceiling(0.05 * d.OutFeatures * d.InFeatures),
        _ => throw new ArgumentException(l.GetType().Name),
    });
}
