using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks.Authoring;

/// <summary>
/// Writes a C# notebook from code: cells in order, the Polyglot metadata, stable cell ids, and a validation
/// pass (<see cref="NotebookValidator"/>) before anything is returned or saved.
/// <code>
/// new NotebookBuilder("03-svd-importance")
///     .Paper("§4.2.2, Eq. 4–5")
///     .Markdown("# SVD importance ...")
///     .Code("var fig = new Figure(...);")
///     .Save("notebooks/03-svd-importance.ipynb");
/// </code>
/// </summary>
public sealed class NotebookBuilder(string name)
{
    /// <summary>The metadata key under which this project keeps its own notebook fields.</summary>
    public const string MetadataKey = "partial_lora";

    private readonly List<(CellType Type, string Source)> cells = [];
    private readonly JsonObject extra = new();

    public string Name { get; } = name;

    public NotebookBuilder Markdown(string markdown) => Add(CellType.Markdown, markdown);

    public NotebookBuilder Code(string code) => Add(CellType.Code, code);

    public NotebookBuilder Raw(string text) => Add(CellType.Raw, text);

    /// <summary>The paper element the notebook reproduces (e.g. "Table 2", "§5.2, Fig. 3"); shown in the report's index.</summary>
    public NotebookBuilder Paper(string reference) => Set("paper", reference);

    /// <summary>A project field in the notebook's metadata (under <see cref="MetadataKey"/>).</summary>
    public NotebookBuilder Set(string key, string value)
    {
        extra[key] = value;
        return this;
    }

    private NotebookBuilder Add(CellType type, string source)
    {
        // Authors write indented raw string literals; keep the text, drop only surrounding blank lines.
        cells.Add((type, source.Replace("\r\n", "\n").Trim('\n')));
        return this;
    }

    /// <summary>The notebook, validated; throws <see cref="NotebookFormatException"/> listing every problem.</summary>
    public Notebook Build()
    {
        var nb = Notebook.CreateCSharp(Name);
        for (var i = 0; i < cells.Count; i++)
        {
            var (type, source) = cells[i];
            var id = CellIds.Stable(Name, i);
            nb.Add(type switch
            {
                CellType.Markdown => NotebookCell.Markdown(source, id),
                CellType.Code => NotebookCell.Code(source, id),
                _ => NotebookCell.Raw(source, id),
            });
        }
        if (extra.Count > 0) nb.Metadata[MetadataKey] = extra.DeepClone();
        NotebookValidator.ThrowIfInvalid(nb);
        return nb;
    }

    public Notebook Save(string path)
    {
        var nb = Build();
        nb.Save(path);
        return nb;
    }
}
