using System.Globalization;
using System.Text;
using PartialLoRA.Notebooks.Execution;

namespace PartialLoRA.Notebooks.Rendering;

/// <summary>
/// HTML for a plotly.js figure that works offline: a div (holding a PNG fallback, when there is one, for front
/// ends that do not run scripts), plotly.js inlined in the first chart of each notebook, and a script that draws
/// the figure once plotly.js is present.
/// </summary>
public static class PlotlyHtml
{
    /// <param name="figureJson">plotly.js figure JSON: {"data": [...], "layout": {...}}.</param>
    /// <param name="includeLibrary">Inline plotly.js itself (the first chart of a notebook, or a standalone file).</param>
    /// <param name="fallbackPngBase64">Shown until the interactive figure replaces it.</param>
    public static string Render(string figureJson, string id, int height, bool includeLibrary, string? fallbackPngBase64, string alt)
    {
        var json = figureJson.Replace("</", "<\\/", StringComparison.Ordinal);
        var sb = new StringBuilder();
        sb.Append("<div class=\"plora-figure\">");
        sb.Append($"<div id=\"{id}\" style=\"width:100%;max-width:960px;min-height:{height.ToString(CultureInfo.InvariantCulture)}px\">");
        if (fallbackPngBase64 != null)
            sb.Append($"<img src=\"data:image/png;base64,{fallbackPngBase64}\" alt=\"{System.Net.WebUtility.HtmlEncode(alt)}\" style=\"max-width:100%\"/>");
        sb.Append("</div>");
        if (includeLibrary) sb.Append(PlotlyJs.ScriptElement);
        sb.Append("<script type=\"text/javascript\">(function(){var f=").Append(json).Append(';')
          .Append("function draw(){var el=document.getElementById(\"").Append(id).Append("\");if(!el||!window.Plotly)return false;")
          .Append("el.innerHTML=\"\";Plotly.newPlot(el,f.data,f.layout,{responsive:true,displaylogo:false});return true;}")
          .Append("if(!draw()){var n=0,t=setInterval(function(){if(draw()||++n>400)clearInterval(t);},50);}})();</script>");
        sb.Append("</div>");
        return sb.ToString();
    }

    /// <summary>A raw Plotly.NET chart: interactive HTML only (no PNG: Plotly.NET cannot render one offline).</summary>
    public static MimeBundle Bundle(Plotly.NET.GenericChart chart, NotebookContext? notebook)
    {
        var json = Plotly.NET.GenericChart.toFigureJson(chart);
        var height = Plotly.NET.GenericChart.tryGetLayoutSize(chart).Item2 is { } h ? h.Value : 450;
        var html = Render(json, NextId(notebook), height, ClaimLibrary(notebook), null, "Plotly chart");
        return new MimeBundle().Add(MimeBundle.Html, html).Add(MimeBundle.Plain, "Plotly chart (interactive; needs JavaScript)");
    }

    internal static string NextId(NotebookContext? notebook) => notebook?.NextFigureId() ?? "fig-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>True when this output must carry plotly.js: the first chart of a notebook, or any standalone chart.</summary>
    internal static bool ClaimLibrary(NotebookContext? notebook)
    {
        if (notebook == null) return true;
        lock (notebook)
        {
            if (notebook.PlotlyJsEmbedded) return false;
            notebook.PlotlyJsEmbedded = true;
            return true;
        }
    }
}
