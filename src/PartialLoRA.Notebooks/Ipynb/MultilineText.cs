using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks;

/// <summary>
/// nbformat's "multiline string": either one string or a list of lines, each but the last ending in a newline.
/// Readers accept both; writers emit the list form, as Jupyter does.
/// </summary>
public static class MultilineText
{
    public static string Read(JsonNode? node, string where)
    {
        switch (node)
        {
            case null: throw new NotebookFormatException($"{where}: missing (expected a string or a list of strings)");
            case JsonValue v when v.TryGetValue<string>(out var s): return s;
            case JsonArray a:
                var sb = new System.Text.StringBuilder();
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue iv && iv.TryGetValue<string>(out var line)) sb.Append(line);
                    else throw new NotebookFormatException($"{where}[{i}]: expected a string, got {Describe(a[i])}");
                }
                return sb.ToString();
            default: throw new NotebookFormatException($"{where}: expected a string or a list of strings, got {Describe(node)}");
        }
    }

    /// <summary>Splits into lines that keep their "\n" (the last line has none), the way nbformat stores text.</summary>
    public static JsonArray ToJson(string text)
    {
        var a = new JsonArray();
        foreach (var line in SplitLines(text)) a.Add(line);
        return a;
    }

    public static IEnumerable<string> SplitLines(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            yield return text[start..(i + 1)];
            start = i + 1;
        }
        if (start < text.Length) yield return text[start..];
    }

    internal static string Describe(JsonNode? n) => n switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind().ToString().ToLowerInvariant(),
        _ => n.GetType().Name,
    };
}
