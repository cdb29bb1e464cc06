using PartialLoRA.Notebooks.Execution;
using PartialLoRA.Notebooks.Rendering;

namespace PartialLoRA.Notebooks.Figures;

/// <summary>
/// A plot described once and rendered twice: as a Plotly.NET chart (interactive HTML, plotly.js inlined) and as a
/// ScottPlot PNG (visible where JavaScript is not: GitHub, static reports, PDFs). Displayed in a notebook it gives
/// both. Series: line, scatter, bar (grouped, optional error bars), error band, heatmap; log axes; titles.
/// <code>
/// new Figure("Accuracy vs. sparsity", x: "sparsity", y: "accuracy (%)")
///     .LineWithBand(s, mean, mean - sd, mean + sd, "Partial-LoRA")
///     .Line(s, baseline, "LoRA")
/// </code>
/// </summary>
public sealed class Figure
{
    private readonly List<Series> series = [];
    private int nextColor;

    public Figure(string? title = null, string? x = null, string? y = null)
    {
        Title = title;
        XLabel = x;
        YLabel = y;
    }

    public string? Title { get; set; }
    public string? XLabel { get; set; }
    public string? YLabel { get; set; }
    public bool LogX { get; set; }
    public bool LogY { get; set; }
    public int Width { get; set; } = 800;
    public int Height { get; set; } = 450;

    public IReadOnlyList<Series> Series => series;

    public Figure Line(IEnumerable<double> x, IEnumerable<double> y, string? name = null, bool markers = true, string? color = null)
    {
        var (xs, ys) = Pair(x, y, name, "line");
        return Add(new Series(SeriesKind.Line, name, color ?? NextColor()) { X = xs, Y = ys, Markers = markers, Shape = markers ? NextShape() : default });
    }

    public Figure Scatter(IEnumerable<double> x, IEnumerable<double> y, string? name = null, string? color = null)
    {
        var (xs, ys) = Pair(x, y, name, "scatter");
        return Add(new Series(SeriesKind.Scatter, name, color ?? NextColor()) { X = xs, Y = ys, Markers = true, Shape = NextShape() });
    }

    // Series with markers take the shapes in turn (lines and scatters alike), so coinciding series all stay visible.
    private MarkerShape NextShape() =>
        (MarkerShape)(series.Count(s => s.Kind is SeriesKind.Line or SeriesKind.Scatter && s.Markers) % Enum.GetValues<MarkerShape>().Length);

    /// <summary>Error bars in both renderings: colour and width (px; Plotly's default width).</summary>
    internal const string ErrorColor = "#444444";

    internal const float ErrorLineWidth = 2;

    /// <summary>Bars over categories; several bar series are grouped side by side. <paramref name="errors"/>: ± half-lengths.</summary>
    public Figure Bar(IEnumerable<string> categories, IEnumerable<double> values, string? name = null, IEnumerable<double>? errors = null, string? color = null)
    {
        var cs = categories.ToArray();
        var vs = values.ToArray();
        var es = errors?.ToArray();
        var what = Describe("bar", name);
        if (cs.Length == 0) throw new ArgumentException($"{what}: no categories");
        if (cs.Length != vs.Length) throw new ArgumentException($"{what}: {cs.Length} categories but {vs.Length} values");
        if (es != null && es.Length != vs.Length) throw new ArgumentException($"{what}: {vs.Length} values but {es.Length} errors");
        if (series.FirstOrDefault(s => s.Kind == SeriesKind.Bar) is { } first && !first.Categories.SequenceEqual(cs))
            throw new ArgumentException($"{what}: categories differ from the first bar series' ({string.Join(", ", first.Categories)})");
        return Add(new Series(SeriesKind.Bar, name, color ?? NextColor()) { Categories = cs, Y = vs, Errors = es });
    }

    /// <summary>A shaded band between <paramref name="lower"/> and <paramref name="upper"/> (e.g. mean ± std over seeds).</summary>
    public Figure Band(IEnumerable<double> x, IEnumerable<double> lower, IEnumerable<double> upper, string? name = null, string? color = null)
    {
        var (xs, lo) = Pair(x, lower, name, "band");
        var up = upper.ToArray();
        if (up.Length != xs.Length) throw new ArgumentException($"{Describe("band", name)}: {xs.Length} x values but {up.Length} upper values");
        for (var i = 0; i < xs.Length; i++)
            if (lo[i] > up[i]) throw new ArgumentException($"{Describe("band", name)}: lower {lo[i]} > upper {up[i]} at x = {xs[i]}");
        return Add(new Series(SeriesKind.Band, name, color ?? NextColor()) { X = xs, Lower = lo, Upper = up });
    }

    /// <summary>A line with its error band in the same colour (the band stays out of the legend).</summary>
    public Figure LineWithBand(IEnumerable<double> x, IEnumerable<double> y, IEnumerable<double> lower, IEnumerable<double> upper, string? name = null, string? color = null)
    {
        var c = color ?? NextColor();
        var xs = x.ToArray();
        Band(xs, lower, upper, name, c);
        series[^1] = series[^1] with { HideInLegend = true };
        return Line(xs, y, name, true, c);
    }

    /// <summary>A heatmap of <paramref name="z"/>[row, column]; row 0 is drawn at the bottom. A heatmap figure holds only that heatmap.</summary>
    public Figure Heatmap(double[,] z, IEnumerable<string>? xLabels = null, IEnumerable<string>? yLabels = null, string? name = null)
    {
        var what = Describe("heatmap", name);
        if (z.GetLength(0) == 0 || z.GetLength(1) == 0) throw new ArgumentException($"{what}: empty matrix");
        var xl = xLabels?.ToArray();
        var yl = yLabels?.ToArray();
        if (xl != null && xl.Length != z.GetLength(1)) throw new ArgumentException($"{what}: {z.GetLength(1)} columns but {xl.Length} x labels");
        if (yl != null && yl.Length != z.GetLength(0)) throw new ArgumentException($"{what}: {z.GetLength(0)} rows but {yl.Length} y labels");
        return Add(new Series(SeriesKind.Heatmap, name, Palette.At(0)) { Z = (double[,])z.Clone(), XLabels = xl, YLabels = yl });
    }

    public Figure WithLogX(bool on = true) { LogX = on; return this; }
    public Figure WithLogY(bool on = true) { LogY = on; return this; }

    public Figure WithSize(int width, int height)
    {
        if (width < 100 || height < 100) throw new ArgumentException($"figure size {width}x{height}: expected at least 100x100 pixels");
        Width = width;
        Height = height;
        return this;
    }

    /// <summary>The interactive chart (Plotly.NET), e.g. to style it further with Plotly.NET's own API.</summary>
    public Plotly.NET.GenericChart ToPlotly() => PlotlyFigure.Build(this);

    /// <summary>The static plot (ScottPlot), e.g. to style it further with ScottPlot's own API.</summary>
    public ScottPlot.Plot ToScottPlot() => ScottPlotFigure.Build(this);

    public byte[] ToPng() => ScottPlotPng.Render(ToScottPlot(), Width, Height);

    /// <summary>A self-contained HTML fragment (plotly.js inlined, PNG fallback).</summary>
    public string ToHtml() => ToBundle(null).Get(MimeBundle.Html)!;

    public void SavePng(string path) => AtomicFile.WriteAllBytes(path, ToPng());

    public void SaveHtml(string path) =>
        AtomicFile.WriteAllText(path, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{System.Net.WebUtility.HtmlEncode(Title ?? "figure")}</title></head><body>{ToHtml()}</body></html>\n");

    /// <summary>The notebook output: interactive HTML (with the PNG inside as fallback), the PNG itself, and a text line.</summary>
    public MimeBundle ToBundle(NotebookContext? notebook)
    {
        Validate();
        var png = ToPng();
        var b64 = Convert.ToBase64String(png);
        var json = Plotly.NET.GenericChart.toFigureJson(ToPlotly());
        var html = PlotlyHtml.Render(json, PlotlyHtml.NextId(notebook), Height, PlotlyHtml.ClaimLibrary(notebook), b64, Title ?? "figure");
        return new MimeBundle().Add(MimeBundle.Html, html).AddPng(png, Width, Height).Add(MimeBundle.Plain, ToString());
    }

    public override string ToString() =>
        $"Figure \"{Title ?? "untitled"}\": {string.Join(", ", series.Where(s => !s.HideInLegend).Select(s => $"{s.Kind.ToString().ToLowerInvariant()}{(s.Name != null ? $" '{s.Name}'" : "")}"))}";

    /// <summary>Checks what can only be checked with the whole figure (log axes against the data, series mixes).</summary>
    internal void Validate()
    {
        if (series.Count == 0) throw new InvalidOperationException($"{FigureName}: no series to draw");
        if (series.Any(s => s.Kind == SeriesKind.Heatmap) && series.Count > 1)
            throw new InvalidOperationException($"{FigureName}: a heatmap cannot share a figure with other series");
        var bars = series.Any(s => s.Kind == SeriesKind.Bar);
        if (bars && series.Any(s => s.Kind != SeriesKind.Bar))
            throw new InvalidOperationException($"{FigureName}: bar series (categorical x) cannot share a figure with line, scatter or band series (numeric x)");
        if (bars && (LogX || LogY))
            throw new InvalidOperationException($"{FigureName}: log axes are not supported for bar charts");
        foreach (var s in series)
        {
            if (LogX && s.X.Any(v => !(v > 0))) throw new InvalidOperationException($"{Describe(s.Kind.ToString().ToLowerInvariant(), s.Name)}: log x axis needs x > 0 (found {s.X.First(v => !(v > 0))})");
            var ys = s.Kind == SeriesKind.Band ? s.Lower.Concat(s.Upper) : s.Y;
            if (LogY && s.Kind != SeriesKind.Heatmap && ys.Any(v => !(v > 0)))
                throw new InvalidOperationException($"{Describe(s.Kind.ToString().ToLowerInvariant(), s.Name)}: log y axis needs y > 0 (found {ys.First(v => !(v > 0))})");
        }
    }

    /// <summary>
    /// Whether the x axis only needs whole-number ticks: numeric series whose x values are all integers over a short
    /// span (layer indices, ranks, epochs). Left to itself the PNG labels 1, 1.5, 2, … there.
    /// </summary>
    internal bool IntegerX =>
        !LogX && series.All(s => s.Kind is SeriesKind.Line or SeriesKind.Scatter or SeriesKind.Band)
        && series.SelectMany(s => s.X).All(v => v == Math.Round(v))
        && XSpan is >= 1 and <= MaxIntegerSpan;

    /// <summary>Largest minus smallest x over all series.</summary>
    internal double XSpan => series.SelectMany(s => s.X).Max() - series.SelectMany(s => s.X).Min();

    private const double MaxIntegerSpan = 20;

    private string FigureName => Title != null ? $"figure '{Title}'" : "figure";

    private Figure Add(Series s)
    {
        series.Add(s);
        return this;
    }

    private string NextColor() => Palette.At(nextColor++);

    private static (double[], double[]) Pair(IEnumerable<double> x, IEnumerable<double> y, string? name, string kind)
    {
        var xs = x.ToArray();
        var ys = y.ToArray();
        if (xs.Length == 0) throw new ArgumentException($"{Describe(kind, name)}: no points");
        if (xs.Length != ys.Length) throw new ArgumentException($"{Describe(kind, name)}: {xs.Length} x values but {ys.Length} y values");
        return (xs, ys);
    }

    private static string Describe(string kind, string? name) => name != null ? $"{kind} series '{name}'" : $"{kind} series";
}
