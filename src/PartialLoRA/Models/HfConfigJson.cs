using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Models;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> (or one nested object of it, e.g. <c>vision_config</c>) field by field.
/// A field that is absent takes the architecture's HF default; a field that is present with the wrong type is an
/// error naming the file, the field and what was expected. Nothing is coerced silently (2.5 is not an int).
/// </summary>
public sealed class HfConfigJson
{
    private readonly JsonObject obj;

    /// <summary>Where the object came from, for messages: a file path, optionally with a nested key (<c>config.json:vision_config</c>).</summary>
    public string Source { get; }

    public HfConfigJson(JsonObject obj, string source)
    {
        this.obj = obj;
        Source = source;
    }

    public static HfConfigJson Parse(string json, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON: {e.Message}");
        }
        return node is JsonObject o ? new HfConfigJson(o, source) : throw new InvalidDataException($"{source}: expected a JSON object");
    }

    public static HfConfigJson Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config file not found", path);
        return Parse(File.ReadAllText(path), path);
    }

    private JsonValue? Value(string field, string expected)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        return node as JsonValue ?? throw Bad(field, expected, node);
    }

    private InvalidDataException Bad(string field, string expected, JsonNode? got) =>
        new($"{Source}: field '{field}' must be {expected}, got {got?.ToJsonString() ?? "null"}");

    public int Int(string field, int fallback) => IntOrNull(field) ?? fallback;

    public int? IntOrNull(string field)
    {
        var v = Value(field, "an integer");
        if (v is null) return null;
        if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i)) return i;
        if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue)
            return (int)d;   // 512.0 is written by some exporters; 512.5 is not an integer
        throw Bad(field, "an integer", v);
    }

    public double Double(string field, double fallback) => DoubleOrNull(field) ?? fallback;

    public double? DoubleOrNull(string field)
    {
        var v = Value(field, "a number");
        if (v is null) return null;
        if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d)) return d;
        throw Bad(field, "a number", v);
    }

    public bool Bool(string field, bool fallback)
    {
        var v = Value(field, "true or false");
        if (v is null) return fallback;
        return v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(field, "true or false", v),
        };
    }

    public string String(string field, string fallback) => StringOrNull(field) ?? fallback;

    public string? StringOrNull(string field)
    {
        var v = Value(field, "a string");
        if (v is null) return null;
        return v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Bad(field, "a string", v);
    }

    /// <summary>A list of strings, or a single string split on '|' (DeBERTa's <c>pos_att_type</c> accepts both).</summary>
    public IReadOnlyList<string>? StringListOrNull(string field, char separator = '|')
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return v.GetValue<string>().ToLowerInvariant().Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (node is JsonArray a)
            return a.Select(x => x is JsonValue s && s.GetValueKind() == JsonValueKind.String
                ? s.GetValue<string>().Trim().ToLowerInvariant()
                : throw Bad(field, "a list of strings", node)).ToList();
        throw Bad(field, "a string or a list of strings", node);
    }

    /// <summary>A nested object (e.g. <c>text_config</c>), or null when absent.</summary>
    public HfConfigJson? ObjectOrNull(string field)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        return node is JsonObject o ? new HfConfigJson(o, $"{Source}:{field}") : throw Bad(field, "an object", node);
    }

    /// <summary>Labels by index from <c>id2label</c> (keys "0".."n-1"), or null when absent.</summary>
    public IReadOnlyList<string>? Id2LabelOrNull()
    {
        if (!obj.TryGetPropertyValue("id2label", out var node) || node is null) return null;
        if (node is not JsonObject o) throw Bad("id2label", "an object {\"0\": label, ...}", node);
        var labels = new string[o.Count];
        foreach (var (k, v) in o)
        {
            if (!int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i < 0 || i >= o.Count || labels[i] != null)
                throw Bad("id2label", $"keys \"0\"..\"{o.Count - 1}\"", node);
            labels[i] = v is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : throw Bad("id2label", "string labels", node);
        }
        return labels;
    }

    /// <summary>Fails when a required positive size is not positive.</summary>
    public static void RequirePositive(string source, string field, long value)
    {
        if (value <= 0) throw new InvalidDataException($"{source}: field '{field}' must be positive, got {value}");
    }

    /// <summary>Fails when <paramref name="value"/> is not a multiple of <paramref name="divisor"/>.</summary>
    public static void RequireMultiple(string source, string field, long value, string divisorField, long divisor)
    {
        if (divisor <= 0 || value % divisor != 0)
            throw new InvalidDataException($"{source}: field '{field}' ({value}) must be a multiple of '{divisorField}' ({divisor})");
    }
}

/// <summary>Writes config.json objects in HF's key style (snake_case, nested objects).</summary>
public static class HfConfigWriter
{
    public static string ToJson(JsonObject obj) =>
        obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    public static JsonObject Id2Label(IReadOnlyList<string> labels)
    {
        var o = new JsonObject();
        for (int i = 0; i < labels.Count; i++) o[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
        return o;
    }

    public static JsonObject Label2Id(IReadOnlyList<string> labels)
    {
        var o = new JsonObject();
        for (int i = 0; i < labels.Count; i++) o[labels[i]] = i;
        return o;
    }
}
