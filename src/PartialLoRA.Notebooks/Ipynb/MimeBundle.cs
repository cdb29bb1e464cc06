using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks;

/// <summary>
/// One rich value as Jupyter carries it: MIME type → data (text, or base64 for images; JSON types hold JSON text).
/// Every output of the executor is one of these, e.g. a DataFrame as <c>text/html</c> + <c>text/plain</c>.
/// </summary>
public sealed class MimeBundle
{
    public const string Plain = "text/plain";
    public const string Html = "text/html";
    public const string Markdown = "text/markdown";
    public const string Png = "image/png";

    private readonly SortedDictionary<string, string> data = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Data => data;

    /// <summary>Per-MIME metadata (e.g. image width/height), written as the output's <c>metadata</c>.</summary>
    public JsonObject Metadata { get; } = new();

    public MimeBundle Add(string mime, string value)
    {
        if (string.IsNullOrWhiteSpace(mime) || !mime.Contains('/'))
            throw new ArgumentException($"MIME type '{mime}': expected type/subtype");
        data[mime] = value;
        return this;
    }

    public MimeBundle AddPng(byte[] png, int width, int height)
    {
        Add(Png, Convert.ToBase64String(png));
        Metadata[Png] = new JsonObject { ["width"] = width, ["height"] = height };
        return this;
    }

    public bool Has(string mime) => data.ContainsKey(mime);

    public string? Get(string mime) => data.TryGetValue(mime, out var v) ? v : null;

    /// <summary>Keeps only the given MIME types (for <c>display(value, "text/html")</c>).</summary>
    public MimeBundle Only(IReadOnlyCollection<string> mimes)
    {
        var b = new MimeBundle();
        foreach (var (k, v) in data)
            if (mimes.Contains(k)) b.data[k] = v;
        if (b.data.Count == 0)
            throw new ArgumentException($"none of the requested MIME types ({string.Join(", ", mimes)}) is available; this value renders as {string.Join(", ", data.Keys)}");
        foreach (var (k, v) in Metadata)
            if (mimes.Contains(k)) b.Metadata[k] = v?.DeepClone();
        return b;
    }

    internal static bool IsJsonMime(string mime) => mime == "application/json" || mime.EndsWith("+json", StringComparison.Ordinal);

    /// <summary>Text-like MIME types are stored as lists of lines; base64 and JSON are not (nbformat's convention).</summary>
    internal static bool IsMultilineMime(string mime) => mime.StartsWith("text/", StringComparison.Ordinal) || mime == "image/svg+xml";

    internal JsonObject DataToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in data)
            o[k] = IsJsonMime(k) ? JsonNode.Parse(v) : IsMultilineMime(k) ? MultilineText.ToJson(v) : JsonValue.Create(v);
        return o;
    }

    internal static MimeBundle FromJson(JsonObject? dataJson, JsonObject? metadata, string where)
    {
        var b = new MimeBundle();
        if (dataJson == null) throw new NotebookFormatException($"{where}.data: missing");
        foreach (var (k, v) in dataJson)
            b.data[k] = IsJsonMime(k) ? v?.ToJsonString() ?? "null" : MultilineText.Read(v, $"{where}.data['{k}']");
        if (metadata != null)
            foreach (var (k, v) in metadata) b.Metadata[k] = v?.DeepClone();
        return b;
    }
}
