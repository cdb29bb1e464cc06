using System.Text;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// The cell being executed: collects its outputs in order (consecutive writes to one stream merge, as in Jupyter).
/// Flows with the cell's ExecutionContext, so tasks a cell starts write into the same cell.
/// </summary>
public sealed class CellContext
{
    private static readonly AsyncLocal<CellContext?> current = new();
    private readonly object gate = new();
    private readonly List<object> items = []; // StreamItem or NotebookOutput

    internal CellContext(NotebookContext notebook, int codeCell)
    {
        Notebook = notebook;
        CodeCell = codeCell;
    }

    /// <summary>The cell running on this flow, or null outside the executor.</summary>
    public static CellContext? Current
    {
        get => current.Value;
        internal set => current.Value = value;
    }

    public NotebookContext Notebook { get; }

    /// <summary>1-based among code cells.</summary>
    public int CodeCell { get; }

    /// <summary>Set when the cell timed out: later writes from its abandoned thread are dropped.</summary>
    internal bool Closed { get; set; }

    private sealed class StreamItem(string name)
    {
        public string Name { get; } = name;
        public StringBuilder Text { get; } = new();
    }

    public void Write(string stream, string text)
    {
        if (text.Length == 0) return;
        lock (gate)
        {
            if (Closed) return;
            if (items.Count > 0 && items[^1] is StreamItem s && s.Name == stream) s.Text.Append(text);
            else
            {
                var n = new StreamItem(stream);
                n.Text.Append(text);
                items.Add(n);
            }
        }
    }

    public void Display(MimeBundle bundle)
    {
        lock (gate)
            if (!Closed) items.Add(NotebookOutput.DisplayData(bundle));
    }

    internal void Add(NotebookOutput output)
    {
        lock (gate) items.Add(output);
    }

    internal IReadOnlyList<NotebookOutput> Outputs()
    {
        lock (gate)
            return items.Select(i => i is StreamItem s ? NotebookOutput.Stream(s.Name, s.Text.ToString()) : (NotebookOutput)i).ToList();
    }
}

/// <summary>Per-notebook state shared by its cells (figure numbering, whether plotly.js was already embedded).</summary>
public sealed class NotebookContext(string name, bool embedPlotlyJs = true)
{
    private int figures;

    public string Name { get; } = name;

    /// <summary>True once a chart output of this notebook carries plotly.js (or when none should); later charts reuse it.</summary>
    public bool PlotlyJsEmbedded { get; set; } = !embedPlotlyJs;

    /// <summary>A deterministic id for the next figure element (stable across re-runs, unique in a report).</summary>
    public string NextFigureId()
    {
        var n = Interlocked.Increment(ref figures);
        var safe = new string(Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        return $"fig-{safe}-{n}";
    }
}
