using ScottPlot;

namespace PartialLoRA.Notebooks.Figures;

/// <summary>
/// Renders a <see cref="Figure"/> with ScottPlot (the PNG). Log axes are drawn the usual ScottPlot way: the data
/// are plotted as log10 and the ticks labelled with the original values.
/// </summary>
internal static class ScottPlotFigure
{
    public static Plot Build(Figure f)
    {
        f.Validate();
        var plt = new Plot();
        plt.Font.Set("DejaVu Sans");
        var legend = f.Series.Where(s => s.Name != null && !s.HideInLegend && s.Kind != SeriesKind.Heatmap).Select(s => s.Name!).ToList();
        if (f.Title != null)
        {
            // ScottPlot centres the title on the data area, which the left axis and an outside legend narrow: a long
            // title gets a smaller font (≈ 0.56 em per character) so it is never cut at the image's edges.
            var dataWidth = f.Width - 80 - (legend.Count == 0 ? 0 : 7.5 * legend.Max(n => n.Length) + 70);
            plt.Title(f.Title, (float)Math.Clamp(dataWidth / (0.56 * f.Title.Length), 10, 16));
        }
        if (f.XLabel != null) plt.XLabel(f.XLabel, 14);
        if (f.YLabel != null) plt.YLabel(f.YLabel, 14);
        plt.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plt.Axes.Left.TickLabelStyle.FontSize = 12;

        Func<double, double> tx = f.LogX ? Math.Log10 : v => v;
        Func<double, double> ty = f.LogY ? Math.Log10 : v => v;
        var bars = f.Series.Where(s => s.Kind == SeriesKind.Bar).ToList();
        foreach (var s in f.Series)
        {
            var color = ToColor(s.Color);
            switch (s.Kind)
            {
                case SeriesKind.Line:
                case SeriesKind.Scatter:
                    var sc = s.Kind == SeriesKind.Scatter
                        ? plt.Add.ScatterPoints(s.X.Select(tx).ToArray(), s.Y.Select(ty).ToArray(), color)
                        : plt.Add.Scatter(s.X.Select(tx).ToArray(), s.Y.Select(ty).ToArray(), color);
                    sc.LineWidth = s.Kind == SeriesKind.Scatter ? 0 : 2;
                    sc.MarkerSize = s.Markers ? (s.Kind == SeriesKind.Scatter ? (s.Shape == MarkerShape.Circle ? 7 : 11) : (s.Shape == MarkerShape.Circle ? 6 : 9)) : 0;
                    sc.MarkerShape = Shape(s.Shape);
                    sc.MarkerLineWidth = 1.5f;
                    if (s.Name != null && !s.HideInLegend) sc.LegendText = s.Name;
                    break;
                case SeriesKind.Band:
                    var fill = plt.Add.FillY(s.X.Select(tx).ToArray(), s.Lower.Select(ty).ToArray(), s.Upper.Select(ty).ToArray());
                    fill.FillColor = color.WithAlpha(0.2);
                    fill.LineWidth = 0;
                    if (s.Name != null && !s.HideInLegend) fill.LegendText = s.Name;
                    break;
                case SeriesKind.Bar:
                    AddBars(plt, s, bars.IndexOf(s), bars.Count, color);
                    break;
                case SeriesKind.Heatmap:
                    AddHeatmap(plt, s);
                    break;
            }
        }

        if (bars.Count > 0)
        {
            var cats = bars[0].Categories;
            plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, cats.Length).Select(i => (double)i).ToArray(), cats);
            if (cats.Max(c => c.Length) * cats.Length > f.Width / 9)
            {
                plt.Axes.Bottom.TickLabelStyle.Rotation = -35;
                plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
                // ScottPlot sizes the axis for unrotated labels, so the axis title would sit on the longest ones:
                // reserve their rotated height (≈ 7 px per character at the tick font) plus the title's.
                plt.Axes.Bottom.MinimumSize = (float)(Math.Sin(35 * Math.PI / 180) * 7 * cats.Max(c => c.Length) + 40);
            }
            plt.Axes.Margins(bottom: 0);
        }
        if (f.IntegerX) plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (f.LogX) plt.Axes.Bottom.TickGenerator = LogTicks();
        if (f.LogY) plt.Axes.Left.TickGenerator = LogTicks();
        if (legend.Count > 0)
            plt.ShowLegend(Edge.Right);
        return plt;
    }

    private static void AddBars(Plot plt, Series s, int index, int groups, Color color)
    {
        const double groupWidth = 0.8;
        var width = groupWidth / groups;
        var list = new List<Bar>();
        for (var i = 0; i < s.Y.Length; i++)
        {
            list.Add(new Bar
            {
                Position = i - groupWidth / 2 + width * (index + 0.5),
                Value = s.Y[i],
                Size = width * 0.95,
                FillColor = color,
                LineWidth = 0,
            });
        }
        var bp = plt.Add.Bars(list.ToArray());
        if (s.Name != null) bp.LegendText = s.Name;
        if (s.Errors is not { } errors) return;
        // A Bar draws its error with its outline's width, which is 0 (a 1-px hairline) so the bars have no outline:
        // the errors are a separate plottable, drawn as in the Plotly figure.
        var drawn = Enumerable.Range(0, list.Count).Where(i => double.IsFinite(errors[i]) && errors[i] > 0).ToArray();
        if (drawn.Length == 0) return;
        var eb = plt.Add.ErrorBar(drawn.Select(i => list[i].Position).ToArray(), drawn.Select(i => list[i].Value).ToArray(),
            drawn.Select(i => errors[i]).ToArray());
        eb.LineWidth = Figure.ErrorLineWidth;
        eb.Color = ToColor(Figure.ErrorColor);
        eb.CapSize = 6;
    }

    private static void AddHeatmap(Plot plt, Series s)
    {
        var z = s.Z!;
        int rows = z.GetLength(0), cols = z.GetLength(1);
        var hm = plt.Add.Heatmap(z);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        // ScottPlot centres cell (r, c) on (c, r) and draws row 0 at the top; the figure convention (and Plotly's)
        // is row 0 at the bottom.
        hm.FlipVertically = true;
        plt.Add.ColorBar(hm);
        if (s.XLabels != null)
            plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, cols).Select(i => (double)i).ToArray(), s.XLabels);
        if (s.YLabels != null)
            plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, rows).Select(i => (double)i).ToArray(), s.YLabels);
        plt.Axes.Margins(0, 0);
        plt.HideGrid();
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = v => FormatPower(Math.Pow(10, v)),
    };

    private static string FormatPower(double v) =>
        v is >= 1e-3 and < 1e5 ? v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : v.ToString("0e+0", System.Globalization.CultureInfo.InvariantCulture);

    private static ScottPlot.MarkerShape Shape(MarkerShape shape) => shape switch
    {
        MarkerShape.Circle => ScottPlot.MarkerShape.FilledCircle,
        MarkerShape.OpenSquare => ScottPlot.MarkerShape.OpenSquare,
        MarkerShape.OpenTriangle => ScottPlot.MarkerShape.OpenTriangleUp,
        MarkerShape.OpenDiamond => ScottPlot.MarkerShape.OpenDiamond,
        MarkerShape.Cross => ScottPlot.MarkerShape.Cross,
        _ => ScottPlot.MarkerShape.Eks,
    };

    private static Color ToColor(string hex)
    {
        var (r, g, b) = Palette.Parse(hex);
        return new Color(r, g, b);
    }
}
