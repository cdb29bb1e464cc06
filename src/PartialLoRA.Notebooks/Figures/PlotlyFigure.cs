using DynamicObj;
using Plotly.NET;

namespace PartialLoRA.Notebooks.Figures;

/// <summary>Renders a <see cref="Figure"/> as a Plotly.NET chart (plotly.js trace and layout attributes set directly).</summary>
internal static class PlotlyFigure
{
    private const string FontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif";

    public static GenericChart Build(Figure f)
    {
        f.Validate();
        var traces = new List<Trace>();
        foreach (var s in f.Series) traces.AddRange(Traces(s));
        var chart = GenericChart.ofTraceObjects(false, traces);
        return GenericChart.setLayout(Layout(f), chart);
    }

    private static IEnumerable<Trace> Traces(Series s)
    {
        switch (s.Kind)
        {
            case SeriesKind.Line:
            case SeriesKind.Scatter:
                var t = Trace("scatter", s);
                t.SetProperty("x", s.X);
                t.SetProperty("y", s.Y);
                t.SetProperty("mode", s.Kind == SeriesKind.Scatter ? "markers" : s.Markers ? "lines+markers" : "lines");
                t.SetProperty("line", Obj(("color", s.Color), ("width", 2)));
                var size = s.Kind == SeriesKind.Scatter ? (s.Shape == MarkerShape.Circle ? 7 : 10) : (s.Shape == MarkerShape.Circle ? 6 : 9);
                t.SetProperty("marker", Obj(("color", s.Color), ("size", size), ("symbol", Symbol(s.Shape)), ("line", Obj(("color", s.Color), ("width", 1.5)))));
                yield return t;
                break;
            case SeriesKind.Bar:
                var b = Trace("bar", s);
                b.SetProperty("x", s.Categories);
                b.SetProperty("y", s.Y);
                b.SetProperty("marker", Obj(("color", s.Color)));
                if (s.Errors != null) b.SetProperty("error_y", Obj(("type", "data"), ("array", s.Errors), ("visible", true), ("color", Figure.ErrorColor), ("thickness", Figure.ErrorLineWidth)));
                yield return b;
                break;
            case SeriesKind.Band:
                // Lower edge first (invisible), then the upper edge filled down to it.
                var lo = Trace("scatter", s);
                lo.SetProperty("x", s.X);
                lo.SetProperty("y", s.Lower);
                lo.SetProperty("mode", "lines");
                lo.SetProperty("line", Obj(("width", 0), ("color", s.Color)));
                lo.SetProperty("showlegend", false);
                lo.SetProperty("hoverinfo", "skip");
                yield return lo;
                var up = Trace("scatter", s);
                up.SetProperty("x", s.X);
                up.SetProperty("y", s.Upper);
                up.SetProperty("mode", "lines");
                up.SetProperty("fill", "tonexty");
                up.SetProperty("fillcolor", Palette.Rgba(s.Color, 0.2));
                up.SetProperty("line", Obj(("width", 0), ("color", s.Color)));
                up.SetProperty("showlegend", !s.HideInLegend && s.Name != null);
                up.SetProperty("hoverinfo", "skip");
                yield return up;
                break;
            case SeriesKind.Heatmap:
                var z = s.Z!;
                var h = Trace("heatmap", s);
                h.SetProperty("z", Enumerable.Range(0, z.GetLength(0)).Select(r => Enumerable.Range(0, z.GetLength(1)).Select(c => z[r, c]).ToArray()).ToArray());
                if (s.XLabels != null) h.SetProperty("x", s.XLabels);
                if (s.YLabels != null) h.SetProperty("y", s.YLabels);
                h.SetProperty("colorscale", "Viridis");
                yield return h;
                break;
        }
    }

    private static Trace Trace(string type, Series s)
    {
        var t = new Trace2D(type);
        if (s.Name != null) t.SetProperty("name", s.Name);
        t.SetProperty("showlegend", s.Name != null && !s.HideInLegend);
        return t;
    }

    private static Layout Layout(Figure f)
    {
        var heat = f.Series.Any(s => s.Kind == SeriesKind.Heatmap);
        var layout = new Layout();
        if (f.Title != null) layout.SetProperty("title", Obj(("text", f.Title), ("x", 0.05)));
        var xaxis = Axis(f.XLabel, f.LogX, heat);
        // whole-number steps, about ten ticks at most
        if (f.IntegerX) xaxis["dtick"] = (int)Math.Ceiling(f.XSpan) / 10 + 1;
        layout.SetProperty("xaxis", xaxis);
        layout.SetProperty("yaxis", Axis(f.YLabel, f.LogY, heat));
        layout.SetProperty("height", f.Height);
        layout.SetProperty("margin", Obj(("l", 70), ("r", 30), ("t", f.Title != null ? 60 : 30), ("b", 60)));
        layout.SetProperty("font", Obj(("family", FontFamily), ("size", 13), ("color", "#222")));
        layout.SetProperty("paper_bgcolor", "white");
        layout.SetProperty("plot_bgcolor", "white");
        layout.SetProperty("barmode", "group");
        layout.SetProperty("hovermode", "closest");
        return layout;
    }

    private static Dictionary<string, object> Axis(string? label, bool log, bool heat)
    {
        var a = Obj(("showline", true), ("linecolor", "#888"), ("ticks", "outside"), ("automargin", true), ("zeroline", false),
            ("gridcolor", heat ? "rgba(0,0,0,0)" : "#e5e5e5"));
        if (label != null) a["title"] = Obj(("text", label));
        if (log)
        {
            a["type"] = "log";
            // Label whole decades only (plotly's in-decade labels print a bare leading digit: "5" for 50 and for 0.5),
            // with unlabelled minor ticks in between, as the PNG does.
            a["dtick"] = 1;
            a["minor"] = Obj(("ticks", "outside"), ("showgrid", true), ("gridcolor", "#f3f3f3"));
        }
        return a;
    }

    private static string Symbol(MarkerShape shape) => shape switch
    {
        MarkerShape.Circle => "circle",
        MarkerShape.OpenSquare => "square-open",
        MarkerShape.OpenTriangle => "triangle-up-open",
        MarkerShape.OpenDiamond => "diamond-open",
        MarkerShape.Cross => "cross-thin-open",
        _ => "x-thin-open",
    };

    private static Dictionary<string, object> Obj(params (string Key, object Value)[] kv) => kv.ToDictionary(p => p.Key, p => p.Value);
}
