using System.Text.Json;
using System.Text.Json.Nodes;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;

namespace PartialLoRA.Adapters.Serialization;

/// <summary>
/// What <c>adapter_config.json</c> says about masks beyond PEFT's fields (the <c>partial_lora</c> object): PEFT
/// ignores unknown config keys with a warning and unknown tensors silently, so a masked adapter stays loadable
/// there as plain LoRA/AdaLoRA with the same outputs.
/// </summary>
internal sealed record MaskDescription(string Layout, string Kind, MaskStorage Storage, bool CompactFile);

internal sealed record ParsedAdapterConfig(AdapterConfig Config, MaskDescription? Masks);

/// <summary>
/// <c>adapter_config.json</c> in HF PEFT's vocabulary (LoraConfig, AdaLoraConfig, VeraConfig field names), plus
/// <c>partial_lora</c> describing masks. Reading accepts PEFT-written files and rejects settings that would change
/// the function computed but are not implemented here (fan_in_fan_out, bias training, layer selection, per-module
/// rank/alpha patterns for LoRA, initialisations that rewrite the base weights).
/// </summary>
internal static class AdapterConfigJson
{
    public const string Extension = "partial_lora";
    public const int FormatVersion = 1;

    public static string Write(AdapterModel model, string? baseModelName, bool compactFile)
    {
        var c = model.Config;
        var o = new JsonObject
        {
            ["peft_type"] = c.PeftType,
            ["task_type"] = null,
            ["base_model_name_or_path"] = baseModelName,
            ["revision"] = null,
            ["inference_mode"] = true,
            ["target_modules"] = Targets(c.TargetModules),
            ["exclude_modules"] = c.ExcludeModules is { } ex ? Targets(ex) : null,
            ["modules_to_save"] = c.ModulesToSave.Count > 0 ? new JsonArray(c.ModulesToSave.Select(m => (JsonNode)m).ToArray()) : null,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
        };
        switch (c)
        {
            case LoraConfig l:
                o["r"] = l.R;
                o["lora_alpha"] = l.Alpha;
                o["lora_dropout"] = l.Dropout;
                o["init_lora_weights"] = l.Init switch { LoraInit.Gaussian => "gaussian", LoraInit.Random => false, _ => true };
                o["use_rslora"] = l.UseRsLora;
                o["use_dora"] = l.UseDora;
                o["lora_bias"] = false;
                o["rank_pattern"] = new JsonObject();
                o["alpha_pattern"] = new JsonObject();
                break;
            case AdaLoraConfig a:
                o["init_r"] = a.InitR;
                o["target_r"] = a.TargetR;
                o["lora_alpha"] = a.Alpha;
                o["lora_dropout"] = a.Dropout;
                o["tinit"] = a.TInit;
                o["tfinal"] = a.TFinal;
                o["deltaT"] = a.DeltaT;
                o["beta1"] = a.Beta1;
                o["beta2"] = a.Beta2;
                o["orth_reg_weight"] = a.OrthRegWeight;
                o["total_step"] = a.TotalStep;
                o["init_lora_weights"] = true;
                o["use_dora"] = false;
                o["rank_pattern"] = RankPatternJson(model);
                break;
            case VeraConfig v:
                o["r"] = v.R;
                o["projection_prng_key"] = v.ProjectionPrngKey;
                o["save_projection"] = v.SaveProjection;
                o["vera_dropout"] = v.Dropout;
                o["d_initial"] = v.DInitial;
                o["init_weights"] = true;
                break;
            case MaskingConfig m:
                o["density"] = m.Density;
                o["seed"] = m.Seed;
                break;
        }
        if (MaskSpecOf(c) is { } spec) o[Extension] = Describe(model, spec, c is LoraConfig lc ? lc.Storage : ((AdaLoraConfig)c).Storage, compactFile);
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static MaskSpec? MaskSpecOf(AdapterConfig c) => c switch
    {
        LoraConfig l => l.Masks,
        AdaLoraConfig a => a.Masks,
        _ => null,
    };

    private static JsonNode Targets(TargetModules t) =>
        t.Pattern is { } p ? JsonValue.Create(p) : new JsonArray(t.Names!.Select(n => (JsonNode)n).ToArray());

    private static JsonNode? RankPatternJson(AdapterModel model)
    {
        if (model.RankAllocator?.RankPattern is not { } pattern) return null;
        var o = new JsonObject();
        foreach (var (path, keep) in pattern) o[path + ".lora_E"] = new JsonArray(keep.Select(k => (JsonNode)k).ToArray());
        return o;
    }

    private static JsonObject Describe(AdapterModel model, MaskSpec spec, MaskStorage storage, bool compactFile)
    {
        var element = spec is ElementMaskSpec;
        var layers = new JsonObject();
        foreach (var layer in model.Layers)
        {
            layers[layer.ModulePath] = layer switch
            {
                LoraLinear { RowColMask: { } m } => RowCol(m),
                CompactLoraLinear c => RowCol(c.Mask),
                AdaLoraLinear { Mask: { } m } => RowCol(m),
                LoraLinear { ElementMask: { } e } => new JsonObject
                {
                    ["rows"] = e.Rows, ["cols"] = e.Cols, ["rank"] = e.Rank, ["kept_A"] = e.KeptA, ["kept_B"] = e.KeptB,
                },
                _ => throw new InvalidOperationException($"'{layer.ModulePath}' has no masks although the config has {spec.Kind} masks"),
            };
        }
        var o = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["kind"] = spec.Kind,
            ["layout"] = element ? "element" : "row_col",
            ["storage"] = element ? "dense" : storage == MaskStorage.Compact ? "compact" : "dense",
            ["file_layout"] = compactFile ? "compact" : "peft",
            ["tensors"] = element
                ? $"per module, BOOL {AdapterKeys.ModelPrefix}<path>.{AdapterKeys.MaskA} (r×n) and .{AdapterKeys.MaskB} (m×r): ΔW = s·(M_B ⊙ B)(M_A ⊙ A)"
                : $"per module, BOOL {AdapterKeys.ModelPrefix}<path>.{AdapterKeys.RowMask} (m) and .{AdapterKeys.ColMask} (n): ΔW = s·(u_row ⊙ B)(u_col ⊙ A) (Eq. 6); lora_A/lora_B are stored dense with zeros outside the masks",
        };
        switch (spec)
        {
            case PartialMasks p: o["mask_seed"] = p.Seed; break;
            case SampledMasks s:
                o["mask_seed"] = s.Seed;
                o["temperature"] = s.Temperature;
                break;
            case ElementMasks e: o["mask_seed"] = e.Seed; break;
        }
        o["layers"] = layers;
        return o;
    }

    private static JsonObject RowCol(RowColMask m) => new()
    {
        ["rows"] = m.Rows, ["cols"] = m.Cols, ["kept_rows"] = m.KeptRows, ["kept_cols"] = m.KeptCols,
    };

    public static ParsedAdapterConfig Read(string path)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}");
        }
        var r = new Reader(path, o);
        var peftType = r.String("peft_type") ?? throw new InvalidDataException($"{path}: missing 'peft_type'");
        if (r.String("bias", "none") != "none") throw r.Unsupported("bias", "only 'none' (no bias training) is supported");
        if (r.Bool("fan_in_fan_out", false)) throw r.Unsupported("fan_in_fan_out", "only Linear layers with (out, in) weights are supported");
        if (o["layers_to_transform"] is not null) throw r.Unsupported("layers_to_transform", "select layers with target_modules instead");
        var targets = r.Targets("target_modules") ?? throw new InvalidDataException($"{path}: 'target_modules' is missing or null; name the modules explicitly");
        var exclude = r.Targets("exclude_modules");
        var modulesToSave = r.Strings("modules_to_save");

        AdapterConfig config = peftType switch
        {
            "LORA" => ReadLora(r, targets),
            "ADALORA" => ReadAdaLora(r, targets),
            "VERA" => new VeraConfig
            {
                TargetModules = targets,
                R = r.Int("r", 256),
                ProjectionPrngKey = r.Long("projection_prng_key", 0),
                SaveProjection = r.Bool("save_projection", true),
                Dropout = r.Double("vera_dropout", 0),
                DInitial = r.Double("d_initial", 0.1),
            },
            "RANDOM_MASKING" => new MaskingConfig
            {
                TargetModules = targets,
                Density = r.Double("density", double.NaN),
                Seed = r.Long("seed", 0),
            },
            _ => throw new InvalidDataException($"{path}: peft_type '{peftType}' is not supported (LORA, ADALORA, VERA, RANDOM_MASKING)"),
        };
        config = config with { ExcludeModules = exclude, ModulesToSave = modulesToSave };
        return new ParsedAdapterConfig(config, ReadMasks(r, o));
    }

    /// <summary>PEFT LoRA options that change what is computed and are not implemented: they must be absent, null, false or empty.</summary>
    private static readonly string[] UnsupportedLoraOptions =
        ["target_parameters", "trainable_token_indices", "layer_replication", "alora_invocation_tokens", "use_qalora", "megatron_config"];

    private static LoraConfig ReadLora(Reader r, TargetModules targets)
    {
        if (r.Bool("lora_bias", false)) throw r.Unsupported("lora_bias", "a trainable bias on lora_B is not supported");
        foreach (var field in UnsupportedLoraOptions)
            if (r.Node(field) is { } n && n.ToJsonString() is not ("null" or "false" or "[]" or "{}"))
                throw r.Unsupported(field, "this PEFT option is not implemented here");
        foreach (var field in new[] { "rank_pattern", "alpha_pattern" })
            if (r.Object(field) is { Count: > 0 }) throw r.Unsupported(field, "per-module ranks/alphas are not supported for LoRA");
        var init = r.Node("init_lora_weights") switch
        {
            null => LoraInit.Default,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? LoraInit.Default : LoraInit.Random,
            JsonValue v when v.TryGetValue<string>(out var s) && s == "gaussian" => LoraInit.Gaussian,
            JsonValue v when v.TryGetValue<string>(out var s) && s == "eva" => LoraInit.Default,
            var other => throw r.Unsupported("init_lora_weights", $"'{other!.ToJsonString()}' rewrites the base weights at initialisation"),
        };
        return new LoraConfig
        {
            TargetModules = targets,
            R = r.Int("r", 8),
            Alpha = r.Double("lora_alpha", 8),
            Dropout = r.Double("lora_dropout", 0),
            Init = init,
            UseRsLora = r.Bool("use_rslora", false),
            UseDora = r.Bool("use_dora", false),
        };
    }

    private static AdaLoraConfig ReadAdaLora(Reader r, TargetModules targets)
    {
        Dictionary<string, bool[]>? pattern = null;
        if (r.Object("rank_pattern") is { Count: > 0 } rp)
        {
            pattern = new Dictionary<string, bool[]>();
            foreach (var (key, value) in rp)
            {
                var module = key.EndsWith(".lora_E", StringComparison.Ordinal) ? key[..^".lora_E".Length] : key;
                if (value is not JsonArray arr || arr.Any(x => x is not JsonValue jv || !jv.TryGetValue<bool>(out _)))
                    throw new InvalidDataException($"{r.Path}: rank_pattern['{key}'] is not a list of booleans");
                pattern[module] = arr.Select(x => x!.GetValue<bool>()).ToArray();
            }
        }
        return new AdaLoraConfig
        {
            TargetModules = targets,
            InitR = r.Int("init_r", 12),
            TargetR = r.Int("target_r", 8),
            Alpha = r.Double("lora_alpha", 8),
            Dropout = r.Double("lora_dropout", 0),
            TInit = r.Int("tinit", 0),
            TFinal = r.Int("tfinal", 0),
            DeltaT = r.Int("deltaT", 1),
            Beta1 = r.Double("beta1", 0.85),
            Beta2 = r.Double("beta2", 0.85),
            OrthRegWeight = r.Double("orth_reg_weight", 0.5),
            TotalStep = r.Int("total_step", 0),
            RankPattern = pattern,
        };
    }

    private static MaskDescription? ReadMasks(Reader r, JsonObject o)
    {
        if (o[Extension] is not JsonObject ext) return null;
        var er = new Reader(r.Path, ext, Extension + ".");
        var version = er.Int("format_version", 0);
        if (version != FormatVersion) throw new InvalidDataException($"{r.Path}: {Extension}.format_version is {version}, this library reads {FormatVersion}");
        var layout = er.String("layout") ?? throw new InvalidDataException($"{r.Path}: {Extension}.layout is missing");
        if (layout != "row_col" && layout != "element") throw new InvalidDataException($"{r.Path}: {Extension}.layout '{layout}' is not 'row_col' or 'element'");
        var storage = er.String("storage", "dense") switch
        {
            "dense" => MaskStorage.Dense,
            "compact" => MaskStorage.Compact,
            var s => throw new InvalidDataException($"{r.Path}: {Extension}.storage '{s}' is not 'dense' or 'compact'"),
        };
        var fileLayout = er.String("file_layout", "peft");
        if (fileLayout != "peft" && fileLayout != "compact") throw new InvalidDataException($"{r.Path}: {Extension}.file_layout '{fileLayout}' is not 'peft' or 'compact'");
        if (fileLayout == "compact" && storage != MaskStorage.Compact)
            throw new InvalidDataException($"{r.Path}: {Extension}.file_layout 'compact' needs storage 'compact'");
        return new MaskDescription(layout, er.String("kind") ?? "stored", storage, fileLayout == "compact");
    }

    /// <summary>Typed access to config fields with errors naming the file and field.</summary>
    private sealed class Reader(string path, JsonObject o, string prefix = "")
    {
        public string Path => path;

        public JsonNode? Node(string name) => o[name];

        private InvalidDataException Bad(string name, string expected) =>
            new($"{path}: '{prefix}{name}' must be {expected}, got {o[name]?.ToJsonString() ?? "null"}");

        public InvalidDataException Unsupported(string name, string why) =>
            new($"{path}: '{prefix}{name}' = {o[name]?.ToJsonString() ?? "null"} is not supported: {why}");

        public string? String(string name, string? fallback = null) => o[name] switch
        {
            null => fallback,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw Bad(name, "a string"),
        };

        public bool Bool(string name, bool fallback) => o[name] switch
        {
            null => fallback,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => throw Bad(name, "true or false"),
        };

        public double Double(string name, double fallback) => o[name] switch
        {
            null => fallback,
            JsonValue v when v.TryGetValue<double>(out var d) => d,
            _ => throw Bad(name, "a number"),
        };

        public long Long(string name, long fallback) => o[name] switch
        {
            null => fallback,
            JsonValue v when v.TryGetValue<long>(out var l) => l,
            JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
            _ => throw Bad(name, "an integer"),
        };

        public int Int(string name, int fallback)
        {
            var l = Long(name, fallback);
            return l is >= int.MinValue and <= int.MaxValue ? (int)l : throw Bad(name, "a 32-bit integer");
        }

        public JsonObject? Object(string name) => o[name] switch
        {
            null => null,
            JsonObject x => x,
            _ => throw Bad(name, "an object"),
        };

        public IReadOnlyList<string> Strings(string name) => o[name] switch
        {
            null => [],
            JsonArray a when a.All(x => x is JsonValue v && v.TryGetValue<string>(out _)) => a.Select(x => x!.GetValue<string>()).ToList(),
            _ => throw Bad(name, "a list of strings or null"),
        };

        public TargetModules? Targets(string name) => o[name] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => TargetModules.Regex(s),
            JsonArray a when a.Count > 0 && a.All(x => x is JsonValue v && v.TryGetValue<string>(out _)) =>
                TargetModules.Of(a.Select(x => x!.GetValue<string>()).ToArray()),
            _ => throw Bad(name, "a module name list or a regex string"),
        };
    }
}
