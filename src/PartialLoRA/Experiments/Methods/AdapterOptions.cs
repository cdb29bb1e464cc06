using System.Text.Json;
using System.Text.Json.Nodes;
using PartialLoRA.Adapters;

namespace PartialLoRA.Experiments.Methods;

/// <summary>
/// Spec options shared by the adapter methods, read with errors naming the field and written back with every
/// default filled in: <c>target_modules</c> (a list of names or a regex string, PEFT semantics; <c>"default"</c> =
/// the model's default targets), <c>train_head</c> (the task head trained and saved in full, as PEFT's
/// <c>modules_to_save</c>; default true).
/// </summary>
public static class AdapterOptions
{
    public const string DefaultTargets = "default";

    public static void ReadCommon(JsonFields o, JsonObject into)
    {
        into["target_modules"] = TargetsNode(o);
        into["train_head"] = o.Bool("train_head", true);
    }

    public static int Rank(JsonFields o, JsonObject into, string name = "rank", int fallback = 8)
    {
        var r = o.Int(name, fallback);
        if (r < 1) throw o.Error(o.FieldPath(name), $"{r}: the rank must be ≥ 1");
        into[name] = r;
        return r;
    }

    public static double Fraction(JsonFields o, JsonObject into, string name, double? fallback, bool allowZero, bool allowOne)
    {
        double v = fallback is { } f ? o.Double(name, f)
            : o.OptionalDouble(name) ?? throw o.Error(o.FieldPath(name), $"required (a number in {(allowZero ? "[" : "(")}0, 1{(allowOne ? "]" : ")")})");
        if (!((allowZero ? v >= 0 : v > 0) && (allowOne ? v <= 1 : v < 1)))
            throw o.Error(o.FieldPath(name), $"{v}: must lie in {(allowZero ? "[" : "(")}0, 1{(allowOne ? "]" : ")")}");
        into[name] = v;
        return v;
    }

    public static double Positive(JsonFields o, JsonObject into, string name, double fallback)
    {
        var v = o.Double(name, fallback);
        if (!(v > 0)) throw o.Error(o.FieldPath(name), $"{v}: must be > 0");
        into[name] = v;
        return v;
    }

    public static string Choice(JsonFields o, JsonObject into, string name, string fallback, params string[] allowed)
    {
        var v = o.String(name, fallback);
        if (!allowed.Contains(v)) throw o.Error(o.FieldPath(name), $"'{v}': expected {string.Join(" or ", allowed)}");
        into[name] = v;
        return v;
    }

    private static JsonNode TargetsNode(JsonFields o)
    {
        var n = o.Node("target_modules");
        if (n is null) return DefaultTargets;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var s = v.GetValue<string>();
            if (s.Length == 0) throw o.Error(o.FieldPath("target_modules"), "empty; give module names or a regex");
            if (s != DefaultTargets)
                try
                {
                    TargetModules.Regex(s);
                }
                catch (ArgumentException e)
                {
                    throw o.Error(o.FieldPath("target_modules"), e.Message);
                }
            return s;
        }
        if (n is JsonArray a && a.Count > 0 && a.All(x => x is JsonValue xv && xv.GetValueKind() == JsonValueKind.String && xv.GetValue<string>().Length > 0))
            return a.DeepClone();
        throw o.Error(o.FieldPath("target_modules"), $"expected a non-empty list of module names or a regex string, got {JsonFields.Describe(n)}");
    }

    /// <summary>The normalised target_modules for a model: its defaults for <paramref name="method"/>, a list of names, or a regex.</summary>
    public static TargetModules Targets(JsonObject options, ModelHandle model, string method)
    {
        var n = options["target_modules"];
        if (n is JsonArray a) return TargetModules.Of(a.Select(x => x!.GetValue<string>()).ToArray());
        var s = n!.GetValue<string>();
        return s == DefaultTargets ? TargetModules.Of(model.DefaultTargetModules(method).ToArray()) : TargetModules.Regex(s);
    }

    /// <summary>The head modules to train and save in full, when <c>train_head</c> is on.</summary>
    public static IReadOnlyList<string> ModulesToSave(JsonObject options, ModelHandle model) =>
        options["train_head"]!.GetValue<bool>() ? model.HeadModules : [];
}
