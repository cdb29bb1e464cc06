using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks;

/// <summary>
/// An nbformat 4 notebook (<c>.ipynb</c>). Reads both forms of multiline text, keeps every key it does not
/// interpret, and writes the way Jupyter and VS Code do (keys sorted, one-space indent, minimal escaping, trailing
/// newline), so a file saved by either and written back unchanged comes back byte for byte.
/// </summary>
public sealed class Notebook
{
    private readonly JsonObject root;
    private readonly List<NotebookCell> cells = [];

    private Notebook(JsonObject root, string source)
    {
        this.root = root;
        Source = source;
        if (root["nbformat"] is not JsonValue fv || !fv.TryGetValue<int>(out var major))
            throw new NotebookFormatException($"{source}: 'nbformat' missing or not an integer");
        if (major != 4)
            throw new NotebookFormatException($"{source}: nbformat {major} is not supported (expected 4; convert with 'jupyter nbconvert --to notebook --nbformat 4')");
        if (root["nbformat_minor"] is not JsonValue mv || !mv.TryGetValue<int>(out _))
            throw new NotebookFormatException($"{source}: 'nbformat_minor' missing or not an integer");
        if (root["metadata"] is not JsonObject)
            throw new NotebookFormatException($"{source}: 'metadata' missing or not an object");
        if (root["cells"] is not JsonArray arr)
            throw new NotebookFormatException($"{source}: 'cells' missing or not a list");
        for (var i = 0; i < arr.Count; i++)
            cells.Add(new NotebookCell(arr[i] as JsonObject ?? throw new NotebookFormatException($"{source}: cells[{i}] is not an object"),
                $"{source}: cells[{i}]"));
    }

    /// <summary>Where this notebook came from (a path, or a description), used in every error message.</summary>
    public string Source { get; private set; }

    public int FormatMinor => (int)root["nbformat_minor"]!;

    public JsonObject Metadata => (JsonObject)root["metadata"]!;

    public IReadOnlyList<NotebookCell> Cells => cells;

    /// <summary>The code cells in order; "code cell N" in messages is 1-based in this list.</summary>
    public IEnumerable<NotebookCell> CodeCells => cells.Where(c => c.Type == CellType.Code);

    /// <summary>An empty C# notebook with the metadata Polyglot Notebooks and the .NET Interactive kernel recognise.</summary>
    public static Notebook CreateCSharp(string source = "new notebook") =>
        new(new JsonObject
        {
            ["cells"] = new JsonArray(),
            ["metadata"] = PolyglotMetadata.CSharpNotebookMetadata(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        }, source);

    public static Notebook Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookFormatException($"{path}: cannot read ({e.Message})");
        }
        return Parse(text, path);
    }

    public static Notebook Parse(string json, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new NotebookFormatException($"{source}: not valid JSON ({e.Message})");
        }
        return new Notebook(node as JsonObject ?? throw new NotebookFormatException($"{source}: the top level is not a JSON object"), source);
    }

    public void Add(NotebookCell cell) => Insert(cells.Count, cell);

    public void Insert(int index, NotebookCell cell)
    {
        if (cell.Json.Parent != null) throw new InvalidOperationException($"{cell.Where}: the cell already belongs to a notebook");
        ((JsonArray)root["cells"]!).Insert(index, cell.Json);
        cells.Insert(index, cell);
        Renumber();
    }

    private void Renumber()
    {
        for (var i = 0; i < cells.Count; i++) cells[i].Where = $"{Source}: cells[{i}]";
    }

    public string ToJson()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions
               {
                   Indented = true, IndentSize = 1, NewLine = "\n", Encoder = JupyterJsonEncoder.Instance,
               }))
            WriteSorted(root, w);
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Keys in ordinal order at every level: the canonical form Jupyter (sort_keys) and VS Code both write.</summary>
    private static void WriteSorted(JsonNode? node, Utf8JsonWriter w)
    {
        switch (node)
        {
            case JsonObject o:
                w.WriteStartObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(k);
                    WriteSorted(v, w);
                }
                w.WriteEndObject();
                break;
            case JsonArray a:
                w.WriteStartArray();
                foreach (var v in a) WriteSorted(v, w);
                w.WriteEndArray();
                break;
            case null:
                w.WriteNullValue();
                break;
            default:
                node.WriteTo(w);
                break;
        }
    }

    /// <summary>Writes atomically (temp file + rename): a failure never leaves a half-written notebook.</summary>
    public void Save(string path)
    {
        AtomicFile.WriteAllText(path, ToJson());
        Source = path;
        Renumber();
    }
}
