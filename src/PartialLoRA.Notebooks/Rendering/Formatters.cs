using System.Collections;
using System.Globalization;
using Microsoft.Data.Analysis;
using PartialLoRA.Notebooks.Execution;
using PartialLoRA.Notebooks.Figures;
using TorchSharp;

namespace PartialLoRA.Notebooks.Rendering;

/// <summary>
/// Turns a value into the MIME bundle a notebook output carries, by type: DataFrame → HTML table + text;
/// <see cref="Figure"/> → interactive Plotly HTML (with a PNG fallback inside) + PNG + text; Plotly.NET chart →
/// HTML; ScottPlot plot → PNG; markdown → text/markdown; tensors, collections and everything else → text/plain.
/// Notebooks may register their own formatter for a type; the most recently registered match wins.
/// </summary>
public static class Formatters
{
    private static readonly List<(Type Type, Func<object, MimeBundle> Format)> custom = [];
    private static readonly object Gate = new();

    /// <summary>Longest table shown in full; longer ones show their head and tail around a "… more rows" line.</summary>
    public static int MaxTableRows { get; set; } = 40;

    /// <summary>Tensors with more elements than this show shape, dtype and device only.</summary>
    public static int MaxTensorElements { get; set; } = 1000;

    public static void Register<T>(Func<T, MimeBundle> format)
    {
        lock (Gate) custom.Add((typeof(T), o => format((T)o)));
    }

    /// <param name="notebook">The notebook the output belongs to (figure ids, plotly.js embedding); null for a standalone rendering.</param>
    public static MimeBundle Format(object? value, NotebookContext? notebook = null)
    {
        if (value == null) return new MimeBundle().Add(MimeBundle.Plain, "<null>");
        lock (Gate)
            for (var i = custom.Count - 1; i >= 0; i--)
                if (custom[i].Type.IsInstanceOfType(value)) return custom[i].Format(value);

        return value switch
        {
            MimeBundle b => b,
            string s => new MimeBundle().Add(MimeBundle.Plain, s),
            MarkdownText m => new MimeBundle().Add(MimeBundle.Markdown, m.Markdown).Add(MimeBundle.Plain, m.Markdown),
            HtmlText h => new MimeBundle().Add(MimeBundle.Html, h.Html),
            MimeText t => new MimeBundle().Add(t.MimeType, t.Content),
            DataFrame df => DataFrameFormatter.Format(df, MaxTableRows),
            DataFrameColumn col => DataFrameFormatter.Format(new DataFrame(col.Clone()), MaxTableRows),
            Figure f => f.ToBundle(notebook),
            Plotly.NET.GenericChart c => PlotlyHtml.Bundle(c, notebook),
            ScottPlot.Plot p => ScottPlotPng.Bundle(p, 800, 450),
            torch.Tensor t => new MimeBundle().Add(MimeBundle.Plain, TensorText(t)),
            IFormattable f => new MimeBundle().Add(MimeBundle.Plain, f.ToString(null, CultureInfo.InvariantCulture)),
            IEnumerable e when value.GetType().GetMethod("ToString", Type.EmptyTypes)?.DeclaringType == typeof(object)
                => new MimeBundle().Add(MimeBundle.Plain, SequenceText(e)),
            _ => new MimeBundle().Add(MimeBundle.Plain, value.ToString() ?? ""),
        };
    }

    private static string TensorText(torch.Tensor t) =>
        t.numel() <= MaxTensorElements
            ? t.ToString(TensorStringStyle.Metadata) + "\n" + t.npstr(cultureInfo: CultureInfo.InvariantCulture)
            : t.ToString(TensorStringStyle.Metadata) + $" ({t.numel()} elements; values not shown)";

    private static string SequenceText(IEnumerable e)
    {
        const int max = 100;
        var items = new List<string>();
        var n = 0;
        foreach (var x in e)
        {
            if (n++ < max) items.Add(x is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : x?.ToString() ?? "null");
        }
        return "[" + string.Join(", ", items) + (n > max ? $", … ({n - max} more)" : "") + "]";
    }
}
