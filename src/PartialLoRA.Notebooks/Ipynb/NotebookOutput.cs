using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks;

/// <summary>
/// One output of a code cell (nbformat 4: <c>stream</c>, <c>display_data</c>, <c>execute_result</c>, <c>error</c>).
/// Wraps its JSON object, so outputs read from a file are written back unchanged.
/// </summary>
public sealed class NotebookOutput
{
    public const string StreamType = "stream";
    public const string DisplayDataType = "display_data";
    public const string ExecuteResultType = "execute_result";
    public const string ErrorType = "error";

    internal NotebookOutput(JsonObject json, string where)
    {
        Json = json;
        Where = where;
        var t = json["output_type"];
        if (t is not JsonValue v || !v.TryGetValue<string>(out var type))
            throw new NotebookFormatException($"{where}.output_type: missing or not a string");
        if (type is not (StreamType or DisplayDataType or ExecuteResultType or ErrorType))
            throw new NotebookFormatException($"{where}.output_type: '{type}' (expected stream, display_data, execute_result or error)");
        OutputType = type;
    }

    internal JsonObject Json { get; }
    private string Where { get; }

    public string OutputType { get; }

    /// <summary>For stream outputs: <c>stdout</c> or <c>stderr</c>.</summary>
    public string? StreamName => (string?)Json["name"];

    /// <summary>For stream outputs: the text.</summary>
    public string Text => OutputType == StreamType ? MultilineText.Read(Json["text"], $"{Where}.text") : "";

    /// <summary>For display_data and execute_result: the MIME bundle.</summary>
    public MimeBundle? Data => OutputType is DisplayDataType or ExecuteResultType
        ? MimeBundle.FromJson(Json["data"] as JsonObject, Json["metadata"] as JsonObject, Where)
        : null;

    /// <summary>For execute_result: the count of the execution that produced it.</summary>
    public int? ExecutionCount => OutputType == ExecuteResultType ? (int?)Json["execution_count"] : null;

    public string? ErrorName => (string?)Json["ename"];
    public string? ErrorValue => (string?)Json["evalue"];
    public IReadOnlyList<string> Traceback => Json["traceback"] is JsonArray a ? a.Select(x => (string?)x ?? "").ToList() : [];

    public static NotebookOutput Stream(string name, string text)
    {
        if (name is not ("stdout" or "stderr")) throw new ArgumentException($"stream name '{name}': expected stdout or stderr");
        return new(new JsonObject { ["name"] = name, ["output_type"] = StreamType, ["text"] = MultilineText.ToJson(text) }, "stream");
    }

    public static NotebookOutput DisplayData(MimeBundle bundle) =>
        new(new JsonObject { ["data"] = bundle.DataToJson(), ["metadata"] = bundle.Metadata.DeepClone(), ["output_type"] = DisplayDataType }, "display_data");

    public static NotebookOutput ExecuteResult(MimeBundle bundle, int executionCount) =>
        new(new JsonObject
        {
            ["data"] = bundle.DataToJson(), ["execution_count"] = executionCount,
            ["metadata"] = bundle.Metadata.DeepClone(), ["output_type"] = ExecuteResultType,
        }, "execute_result");

    public static NotebookOutput Error(string name, string value, IEnumerable<string> traceback)
    {
        var tb = new JsonArray();
        foreach (var line in traceback) tb.Add(line);
        return new(new JsonObject { ["ename"] = name, ["evalue"] = value, ["output_type"] = ErrorType, ["traceback"] = tb }, "error");
    }
}
