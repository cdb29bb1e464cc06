using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Experiments;

/// <summary>
/// One spelling per JSON value, so equal configurations hash equally: object keys sorted by ordinal, no
/// whitespace, integers as integers, other numbers in the shortest round-trip form ("R"), so 1e-4, 0.0001 and
/// 1.0E-4 are the same text; strings escaped by System.Text.Json's rules.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(JsonNode? node)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions)) Write(w, node);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>SHA-256 of the canonical UTF-8 text, lowercase hex.</summary>
    public static string Sha256(JsonNode? node) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Serialize(node))));

    private static void Write(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                w.WriteNullValue();
                break;
            case JsonObject o:
                w.WriteStartObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(k);
                    Write(w, v);
                }
                w.WriteEndObject();
                break;
            case JsonArray a:
                w.WriteStartArray();
                foreach (var v in a) Write(w, v);
                w.WriteEndArray();
                break;
            case JsonValue v:
                WriteValue(w, v);
                break;
        }
    }

    private static void WriteValue(Utf8JsonWriter w, JsonValue v)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                w.WriteStringValue(v.GetValue<string>());
                break;
            case JsonValueKind.True:
                w.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                w.WriteBooleanValue(false);
                break;
            case JsonValueKind.Null:
                w.WriteNullValue();
                break;
            case JsonValueKind.Number:
                w.WriteRawValue(Number(v), skipInputValidation: true);
                break;
            default:
                throw new InvalidOperationException($"unexpected JSON value kind {v.GetValueKind()}");
        }
    }

    private static string Number(JsonValue v)
    {
        if (v.TryGetValue<long>(out var l)) return l.ToString(CultureInfo.InvariantCulture);
        if (!JsonFields.TryNumber(v, out var d)) throw new InvalidOperationException($"unsupported JSON number {v.ToJsonString()}");
        if (!double.IsFinite(d)) throw new ArgumentException($"JSON has no spelling for {d}");
        if (d == Math.Floor(d) && Math.Abs(d) < 1e15) return ((long)d).ToString(CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture);
    }
}
