using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters;

/// <summary>What a saved adapter supplies that a fresh injection would otherwise draw at random.</summary>
internal sealed record LoadedState(VeraProjections? Vera = null, IReadOnlyDictionary<string, long[]>? MaskingPositions = null);

/// <summary>
/// Model-level injection (PEFT's <c>BaseTuner.inject_adapter</c>): finds the targeted Linear layers by
/// named_modules path, builds one adapter layer per target from the config, puts it in the target's place, and
/// freezes everything except the adapters and the modules to save.
/// </summary>
internal static class AdapterInjector
{
    public static AdapterModel Inject(nn.Module model, AdapterConfig config, LoadedState? loaded = null)
    {
        config.Validate();
        var targets = FindTargets(model, config);
        var saved = FindModulesToSave(model, config, targets.Select(t => t.Path).ToHashSet());
        var shapes = targets.Select(t => (t.Path, (int)t.Layer.out_features, (int)t.Layer.in_features)).ToList();
        switch (config)
        {
            case LoraConfig { Masks: { } spec }: spec.Check(shapes); break;
            case AdaLoraConfig a:
                a.Masks?.Check(shapes);
                CheckRankPattern(a, targets.Select(t => t.Path).ToList());
                break;
        }

        VeraProjections? vera = null;
        if (config is VeraConfig vc)
            vera = loaded?.Vera ?? VeraProjections.Create(vc.R, shapes.Max(s => s.Item2), shapes.Max(s => s.Item3), vc.ProjectionPrngKey);

        var layers = new List<AdapterLayer>();
        try
        {
            foreach (var (path, linear) in targets)
            {
                var layer = CreateLayer(path, linear, config, vera, loaded);
                ModuleReplacer.Replace(model, path, linear, layer);
                layers.Add(layer);
            }
        }
        catch
        {
            foreach (var l in layers) ModuleReplacer.Replace(model, l.ModulePath, l, l.BaseLayer);
            throw;
        }

        foreach (var p in model.parameters()) p.requires_grad = false;
        foreach (var l in layers)
            foreach (var (_, p) in l.AdapterParameters()) p.requires_grad = true;
        foreach (var (_, m) in saved)
            foreach (var p in m.parameters()) p.requires_grad = true;
        return new AdapterModel(model, config, layers, saved.Select(s => s.Path).ToList(), vera);
    }

    /// <summary>The Linear layers the config targets, in named_modules order; errors for non-Linear targets or none at all.</summary>
    public static List<(string Path, Linear Layer)> FindTargets(nn.Module model, AdapterConfig config)
    {
        var modules = model.named_modules().ToList();
        if (modules.FirstOrDefault(m => m.module is AdapterLayer) is { module: AdapterLayer existing })
            throw new InvalidOperationException($"the model already has adapters (e.g. at '{existing.ModulePath}'); unload them before injecting or loading another");
        var targets = new List<(string, Linear)>();
        foreach (var (path, module) in modules)
        {
            if (path == "" || !config.TargetModules.Matches(path)) continue;
            if (config.ExcludeModules?.Matches(path) == true) continue;
            if (module is not Linear linear)
                throw new ArgumentException($"target module '{path}' is a {module.GetType().Name}; adapters wrap Linear layers only (check target modules {config.TargetModules})");
            targets.Add((path, linear));
        }
        if (targets.Count == 0)
        {
            var linears = modules.Where(m => m.module is Linear).Select(m => m.name).Take(8).ToList();
            throw new ArgumentException($"no module matches the target modules {config.TargetModules}" +
                (linears.Count > 0 ? $"; Linear layers of this model include: {string.Join(", ", linears)}" : "; the model has no Linear layers"));
        }
        return targets;
    }

    private static List<(string Path, nn.Module Module)> FindModulesToSave(nn.Module model, AdapterConfig config, HashSet<string> targets)
    {
        if (config.ModulesToSave.Count == 0) return [];
        var names = TargetModules.Of(config.ModulesToSave.ToArray());
        var found = model.named_modules().Where(m => m.name != "" && names.Matches(m.name)).ToList();
        if (found.Count == 0) throw new ArgumentException($"no module matches modules to save [{string.Join(", ", config.ModulesToSave)}]");
        var both = found.Select(f => f.name).FirstOrDefault(targets.Contains);
        if (both != null)
            throw new ArgumentException($"module '{both}' is both an adapter target and a module to save");
        // A nested match (e.g. 'classifier' and 'classifier.dense') is covered by its outermost match.
        return found.Where(f => !found.Any(o => f.name.StartsWith(o.name + ".", StringComparison.Ordinal)))
            .Select(f => (f.name, f.module)).ToList();
    }

    private static void CheckRankPattern(AdaLoraConfig config, List<string> targets)
    {
        if (config.RankPattern == null) return;
        foreach (var path in targets)
        {
            if (!config.RankPattern.TryGetValue(path, out var p))
                throw new ArgumentException($"AdaLoRA rank pattern: no entry for module '{path}'");
            if (p.Length != config.InitR)
                throw new ArgumentException($"AdaLoRA rank pattern for '{path}' has {p.Length} entries, expected InitR = {config.InitR}");
        }
        var extra = config.RankPattern.Keys.Except(targets).ToList();
        if (extra.Count > 0) throw new ArgumentException($"AdaLoRA rank pattern names module(s) that are not targeted: {string.Join(", ", extra)}");
    }

    private static AdapterLayer CreateLayer(string path, Linear linear, AdapterConfig config, VeraProjections? vera, LoadedState? loaded)
    {
        var rows = (int)linear.out_features;
        var cols = (int)linear.in_features;
        using var g = LayerSeeds.Generator(config.Seed, path, "init");
        switch (config)
        {
            case LoraConfig { UseDora: true } c:
                return new DoraLinear(path, linear, c.R, c.Scaling, c.Dropout, c.Init, g);
            case LoraConfig { Masks: RowColMaskSpec spec } c:
                var mask = spec.Create(path, rows, cols);
                return c.Storage == MaskStorage.Compact
                    ? new CompactLoraLinear(path, linear, c.R, c.Scaling, c.Dropout, c.Init, g, mask)
                    : new LoraLinear(path, linear, c.R, c.Scaling, c.Dropout, c.Init, g, rowCol: mask);
            case LoraConfig { Masks: ElementMaskSpec spec } c:
                return new LoraLinear(path, linear, c.R, c.Scaling, c.Dropout, c.Init, g, element: spec.Create(path, rows, cols, c.R));
            case LoraConfig c:
                return new LoraLinear(path, linear, c.R, c.Scaling, c.Dropout, c.Init, g);
            case AdaLoraConfig c:
                var pattern = c.RankPattern?[path];
                var rank = pattern?.Count(k => k) ?? c.InitR;
                return new AdaLoraLinear(path, linear, rank, c.InitR, c.Alpha, c.Dropout, g, c.Masks?.Create(path, rows, cols), c.Storage)
                {
                    RankPattern = pattern,
                };
            case VeraConfig c:
                return new VeraLinear(path, linear, vera!, c.Dropout, c.DInitial);
            case MaskingConfig c:
                if (loaded?.MaskingPositions?[path] is { } stored) return new MaskedDeltaLinear(path, linear, stored);
                using (var mg = LayerSeeds.Generator(c.Seed, path, "masking"))
                    return new MaskedDeltaLinear(path, linear, MaskedDeltaLinear.SamplePositions(rows, cols, c.Density, mg));
            default:
                throw new NotSupportedException($"adapter config {config.GetType().Name} is not supported");
        }
    }
}
