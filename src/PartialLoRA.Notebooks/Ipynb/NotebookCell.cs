using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks;

/// <summary>
/// One nbformat 4 cell. Wraps its JSON object: keys this class does not know (attachments, extension metadata)
/// are kept and written back as they were.
/// </summary>
public sealed class NotebookCell
{
    private readonly List<NotebookOutput> outputs = [];

    internal NotebookCell(JsonObject json, string where)
    {
        Json = json;
        Where = where;
        var t = json["cell_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        Type = t switch
        {
            "markdown" => CellType.Markdown,
            "code" => CellType.Code,
            "raw" => CellType.Raw,
            null => throw new NotebookFormatException($"{where}.cell_type: missing or not a string"),
            _ => throw new NotebookFormatException($"{where}.cell_type: '{t}' (expected markdown, code or raw)"),
        };
        _ = MultilineText.Read(json["source"], $"{where}.source");
        if (json["metadata"] is not JsonObject)
            throw new NotebookFormatException($"{where}.metadata: missing or not an object");
        if (Type != CellType.Code) return;
        if (json["outputs"] is not JsonArray outs)
            throw new NotebookFormatException($"{where}.outputs: missing or not a list (code cells need one, possibly empty)");
        for (var i = 0; i < outs.Count; i++)
            outputs.Add(new NotebookOutput(outs[i] as JsonObject ?? throw new NotebookFormatException($"{where}.outputs[{i}]: not an object"),
                $"{where}.outputs[{i}]"));
        var ec = json["execution_count"];
        if (ec != null && !(ec is JsonValue ecv && ecv.TryGetValue<int>(out _)))
            throw new NotebookFormatException($"{where}.execution_count: expected an integer or null");
    }

    internal JsonObject Json { get; }
    internal string Where { get; set; }

    public CellType Type { get; }

    public static NotebookCell Markdown(string source, string? id = null) => Create("markdown", source, id, new JsonObject());

    public static NotebookCell Code(string source, string? id = null) =>
        Create("code", source, id, PolyglotMetadata.CSharpCellMetadata());

    public static NotebookCell Raw(string source, string? id = null) => Create("raw", source, id, new JsonObject());

    private static NotebookCell Create(string type, string source, string? id, JsonObject metadata)
    {
        var o = new JsonObject { ["cell_type"] = type };
        if (type == "code") o["execution_count"] = null;
        if (id != null) o["id"] = CellIds.Check(id, "cell id");
        o["metadata"] = metadata;
        if (type == "code") o["outputs"] = new JsonArray();
        o["source"] = MultilineText.ToJson(source);
        return new NotebookCell(o, $"new {type} cell");
    }

    /// <summary>The nbformat 4.5 cell id (null in older files).</summary>
    public string? Id
    {
        get => (string?)Json["id"];
        set => Json["id"] = value == null ? null : CellIds.Check(value, $"{Where}.id");
    }

    public string Source
    {
        get => MultilineText.Read(Json["source"], $"{Where}.source");
        set => Json["source"] = MultilineText.ToJson(value);
    }

    public JsonObject Metadata => (JsonObject)Json["metadata"]!;

    public int? ExecutionCount
    {
        get => Type == CellType.Code ? (int?)Json["execution_count"] : null;
        set
        {
            RequireCode("execution_count");
            Json["execution_count"] = value;
        }
    }

    public IReadOnlyList<NotebookOutput> Outputs => outputs;

    public void AddOutput(NotebookOutput output)
    {
        RequireCode("outputs");
        var json = output.Json.Parent == null ? output.Json : output.Json.DeepClone().AsObject();
        ((JsonArray)Json["outputs"]!).Add(json);
        outputs.Add(ReferenceEquals(json, output.Json) ? output : new NotebookOutput(json, $"{Where}.outputs[{outputs.Count}]"));
    }

    /// <summary>Removes the outputs and the execution count (an unexecuted cell).</summary>
    public void ClearOutputs()
    {
        RequireCode("outputs");
        ((JsonArray)Json["outputs"]!).Clear();
        outputs.Clear();
        Json["execution_count"] = null;
    }

    private void RequireCode(string field)
    {
        if (Type != CellType.Code) throw new InvalidOperationException($"{Where}: a {Type.ToString().ToLowerInvariant()} cell has no {field}");
    }
}
