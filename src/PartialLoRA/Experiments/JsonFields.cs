using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Experiments;

/// <summary>
/// Reads the fields of a JSON object with errors that name the field's path (<c>methods[1].rank</c>) and
/// what was expected, and rejects fields nobody asked for (a typo would otherwise be silently ignored).
/// </summary>
public sealed class JsonFields
{
    private readonly JsonObject obj;
    private readonly HashSet<string> read = [];

    /// <summary>The path of this object in its document ("" for the root), for messages.</summary>
    public string Path { get; }

    /// <summary>Prefix for messages, e.g. the file name.</summary>
    public string Source { get; }

    public JsonFields(JsonNode? node, string path, string source)
    {
        Path = path;
        Source = source;
        obj = node as JsonObject ?? throw Error(path, $"expected a JSON object, got {Describe(node)}");
    }

    public JsonObject Object => obj;

    public string FieldPath(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    public SpecException Error(string path, string message) =>
        new($"{Source}: {(path.Length == 0 ? "" : path + ": ")}{message}");

    public bool Has(string name)
    {
        read.Add(name);
        return obj.ContainsKey(name) && obj[name] is not null;
    }

    public JsonNode? Node(string name)
    {
        read.Add(name);
        return obj[name];
    }

    public string String(string name, string? fallback = null)
    {
        var n = Node(name);
        if (n is null) return fallback ?? throw Error(FieldPath(name), "required (a string)");
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw Error(FieldPath(name), $"expected a string, got {Describe(n)}");
    }

    public string? OptionalString(string name)
    {
        var n = Node(name);
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw Error(FieldPath(name), $"expected a string, got {Describe(n)}");
    }

    public double Double(string name, double fallback) => OptionalDouble(name) ?? fallback;

    public double? OptionalDouble(string name)
    {
        var n = Node(name);
        return n is null ? null : AsDouble(n, FieldPath(name));
    }

    public double AsDouble(JsonNode n, string path)
    {
        if (TryNumber(n, out var d) && double.IsFinite(d)) return d;
        throw Error(path, $"expected a number, got {Describe(n)}");
    }

    /// <summary>The value of a JSON number however it is held (parsed text, or a C# int/long/double put into a node).</summary>
    public static bool TryNumber(JsonNode? n, out double value)
    {
        value = double.NaN;
        if (n is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return false;
        if (v.TryGetValue<double>(out var d)) value = d;
        else if (v.TryGetValue<long>(out var l)) value = l;
        else if (v.TryGetValue<int>(out var i)) value = i;
        else if (v.TryGetValue<float>(out var f)) value = f;
        else if (v.TryGetValue<decimal>(out var m)) value = (double)m;
        else if (v.TryGetValue<JsonElement>(out var e)) value = e.GetDouble();
        else return false;
        return true;
    }

    /// <summary>A number field of an already validated object (e.g. normalised options).</summary>
    public static double GetDouble(JsonObject o, string name) =>
        TryNumber(o[name], out var d) ? d : throw new InvalidOperationException($"option '{name}' is missing or not a number");

    public static long GetLong(JsonObject o, string name) => (long)GetDouble(o, name);

    public static int GetInt(JsonObject o, string name) => checked((int)GetDouble(o, name));

    public long Long(string name, long fallback) => OptionalLong(name) ?? fallback;

    public long? OptionalLong(string name)
    {
        var n = Node(name);
        return n is null ? null : AsLong(n, FieldPath(name));
    }

    public long AsLong(JsonNode n, string path)
    {
        if (TryNumber(n, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        throw Error(path, $"expected a whole number, got {Describe(n)}");
    }

    public int Int(string name, int fallback) => OptionalInt(name) ?? fallback;

    public int? OptionalInt(string name)
    {
        var l = OptionalLong(name);
        if (l is null) return null;
        if (l is < int.MinValue or > int.MaxValue) throw Error(FieldPath(name), $"{l} is out of range");
        return (int)l;
    }

    public bool Bool(string name, bool fallback)
    {
        var n = Node(name);
        if (n is null) return fallback;
        if (n is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw Error(FieldPath(name), $"expected true or false, got {Describe(n)}");
    }

    public JsonArray? OptionalArray(string name)
    {
        var n = Node(name);
        if (n is null) return null;
        return n as JsonArray ?? throw Error(FieldPath(name), $"expected an array, got {Describe(n)}");
    }

    /// <summary>Throws for the first field that no reader asked for.</summary>
    public void RejectUnknown(IEnumerable<string>? alsoAllowed = null)
    {
        var allowed = new HashSet<string>(read);
        if (alsoAllowed != null) allowed.UnionWith(alsoAllowed);
        foreach (var (k, _) in obj)
            if (!allowed.Contains(k))
                throw Error(FieldPath(k), $"unknown field; expected one of: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
    }

    public static string Describe(JsonNode? n) => n switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the string \"{v.GetValue<string>()}\"",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
            _ => v.ToJsonString(),
        },
        _ => n.ToJsonString(),
    };

    /// <summary>Parses JSON text; a syntax error names the file, line and column.</summary>
    public static JsonNode Parse(string text, string source)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                   ?? throw new SpecException($"{source}: the document is JSON null; expected an object");
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } l ? $" at line {l + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new SpecException($"{source}: malformed JSON{where}: {FirstSentence(e.Message)}");
        }
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message).Trim();
    }
}
