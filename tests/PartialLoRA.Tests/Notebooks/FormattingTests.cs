using Microsoft.Data.Analysis;
using PartialLoRA.Notebooks;
using PartialLoRA.Notebooks.Figures;
using PartialLoRA.Notebooks.Rendering;

namespace PartialLoRA.Tests.Notebooks;

public class FormattingTests
{
    [Theory]
    [InlineData(new[] { 93.456, 91.2 }, new[] { "93.46", "91.20" })]
    [InlineData(new[] { 0.81234, 0.5 }, new[] { "0.8123", "0.5000" })]
    [InlineData(new[] { 3.0, 12.0 }, new[] { "3", "12" })]
    [InlineData(new[] { 1.5e-5, 2e-6 }, new[] { "1.500e-05", "2.000e-06" })]
    [InlineData(new[] { 1234567.0, 0.5 }, new[] { "1.235e+06", "5.000e-01" })]
    [InlineData(new[] { double.NaN, 1.25 }, new[] { "NaN", "1.250" })]
    public void Columns_share_one_precision(double[] values, string[] expected)
    {
        var f = NumberFormat.ForColumn(values);
        Assert.Equal(expected, values.Select(f));
    }

    [Fact]
    public void DataFrames_render_as_aligned_html_and_text_with_a_paper_column()
    {
        var df = new DataFrame(
            new StringDataFrameColumn("method", ["LoRA", "Partial-LoRA", null!]),
            new DoubleDataFrameColumn("accuracy", [93.456, 91.2, null]),
            new DoubleDataFrameColumn("paper", [93.5, 91.0, 90.0]));
        var b = Formatters.Format(df);
        var html = b.Get(MimeBundle.Html)!;
        Assert.Contains("<th class=\"n paper\" title=\"value reported in the paper\">paper</th>", html);
        Assert.Contains("<td class=\"n\">93.46</td>", html);
        Assert.Contains("<td class=\"n\">—</td>", html); // missing value
        Assert.Contains("3 rows × 3 columns", html);
        Assert.Equal("""
               method        accuracy  paper
            0  LoRA             93.46  93.50
            1  Partial-LoRA     91.20  91.00
            2  —                    —  90.00
            [3 rows x 3 columns]
            """.ReplaceLineEndings("\n"), b.Get(MimeBundle.Plain));
    }

    [Fact]
    public void Long_frames_show_head_and_tail_around_an_ellipsis()
    {
        var df = new DataFrame(new Int32DataFrameColumn("i", Enumerable.Range(0, 100)));
        var b = DataFrameFormatter.Format(df, 20);
        Assert.Contains("… 80 more rows …", b.Get(MimeBundle.Html));
        Assert.Contains("<td class=\"i\">14</td>", b.Get(MimeBundle.Html));
        Assert.DoesNotContain("<td class=\"i\">15</td>", b.Get(MimeBundle.Html));
        Assert.Contains("<td class=\"i\">99</td>", b.Get(MimeBundle.Html));
        Assert.EndsWith("[100 rows x 1 columns]", b.Get(MimeBundle.Plain));
    }

    [Fact]
    public void A_figure_gives_offline_interactive_html_a_png_and_text()
    {
        var fig = new Figure("Acc vs sparsity", x: "sparsity", y: "acc")
            .LineWithBand([0.1, 0.5, 0.9], [90, 91, 92], [89, 90, 91], [91, 92, 93], "Partial-LoRA")
            .Scatter([0.2, 0.4], [88, 89], "runs")
            .WithLogX();
        var b = Formatters.Format(fig);
        var html = b.Get(MimeBundle.Html)!;
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("data-plora-plotlyjs", html); // plotly.js itself is inlined
        Assert.Contains("data:image/png;base64,", html); // fallback without JavaScript
        var outsideLibrary = System.Text.RegularExpressions.Regex.Replace(html, "<script[^>]*data-plora-plotlyjs.*?</script>", "",
            System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.DoesNotContain("http", outsideLibrary); // nothing fetched: no CDN, no remote script
        Assert.DoesNotContain(" src=\"", outsideLibrary.Replace(" src=\"data:", ""));
        Assert.Contains("\"type\":\"log\"", html);
        var png = Convert.FromBase64String(b.Get(MimeBundle.Png)!);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal(800, (int)b.Metadata[MimeBundle.Png]!["width"]!);
        Assert.Equal("Figure \"Acc vs sparsity\": line 'Partial-LoRA', scatter 'runs'", b.Get(MimeBundle.Plain));

        var dir = TestSupport.TempDir("fig-save");
        fig.SavePng(Path.Combine(dir, "f.png"));
        fig.SaveHtml(Path.Combine(dir, "f.html"));
        Assert.Equal(0x89, File.ReadAllBytes(Path.Combine(dir, "f.png"))[0]);
        Assert.Contains("data-plora-plotlyjs", File.ReadAllText(Path.Combine(dir, "f.html")));
    }

    [Fact]
    public void Scatter_series_take_different_markers_so_a_shared_point_shows_both()
    {
        // Partial-LoRA and Partial-AdaLoRA can land on the same (parameters, accuracy) point: the second series'
        // outline must stay visible around the first one's filled marker, in the PNG and in the interactive chart.
        var fig = new Figure("same point").Scatter([1], [1], color: "#ff0000").Scatter([1, 2], [1, 2], color: "#0000ff"); // no names: no legend markers to count
        Assert.Equal([MarkerShape.Circle, MarkerShape.OpenSquare], fig.Series.Select(s => s.Shape));
        using var bmp = SkiaSharp.SKBitmap.Decode(fig.ToPng());
        int Count(Func<SkiaSharp.SKColor, bool> match)
        {
            var n = 0;
            for (var y = 0; y < bmp.Height; y++)
            for (var x = 0; x < bmp.Width; x++)
                if (match(bmp.GetPixel(x, y))) n++;
            return n;
        }
        var red = Count(c => c.Red > 200 && c.Green < 60 && c.Blue < 60);
        var blue = Count(c => c.Blue > 200 && c.Red < 60 && c.Green < 60);
        Assert.True(red > 20, $"first series: {red} red pixels"); // its only point, drawn first, inside the square's outline
        Assert.True(blue > 40, $"second series: {blue} blue pixels");
        var traces = System.Text.Json.Nodes.JsonNode.Parse(Plotly.NET.GenericChart.toFigureJson(fig.ToPlotly()))!["data"]!.AsArray();
        Assert.Equal(["circle", "square-open"], traces.Select(t => (string?)t!["marker"]!["symbol"]));
    }

    [Fact]
    public void Bar_errors_are_drawn_in_the_png_as_whiskers_two_pixels_wide()
    {
        // Rows of the image's middle half holding dark pixels, and how many each holds (median): a ±40 whisker on a
        // bar of 50 crosses most of the plot's rows, 2 px wide. ScottPlot's own bar error (a 1-px antialiased hairline
        // when bars have no outline) adds 3 such rows here; the title and tick labels alone make about 20.
        static (int Rows, int MedianWidth) Dark(Figure f)
        {
            using var bmp = SkiaSharp.SKBitmap.Decode(f.ToPng());
            var widths = new List<int>();
            for (var y = 0; y < bmp.Height; y++)
            {
                var n = 0;
                for (var x = bmp.Width / 4; x < 3 * bmp.Width / 4; x++)
                    if (bmp.GetPixel(x, y) is var c && c.Red < 110 && c.Green < 110 && c.Blue < 110) n++;
                if (n > 0) widths.Add(n);
            }
            widths.Sort();
            return (widths.Count, widths.Count == 0 ? 0 : widths[widths.Count / 2]);
        }
        var plain = Dark(new Figure("one bar").Bar(["a"], [50], color: "#ffcc00"));
        var withError = Dark(new Figure("one bar").Bar(["a"], [50], errors: [40], color: "#ffcc00"));
        Assert.True(withError.Rows > plain.Rows + 150, $"rows with dark pixels: {withError.Rows} with a ±40 error bar, {plain.Rows} without");
        Assert.True(withError.MedianWidth >= 2, $"the whisker is {withError.MedianWidth} px wide");
        // a NaN or zero error draws nothing
        Assert.Equal(plain, Dark(new Figure("one bar").Bar(["a"], [50], errors: [double.NaN], color: "#ffcc00")));
    }

    [Fact]
    public void Coinciding_lines_take_different_markers_so_the_first_stays_visible()
    {
        // App. C: Partial-LoRA's and Targeted-LoRA's normalised norms can be equal in every block; the line drawn
        // second must not hide the first (its filled markers show inside the second's outlines).
        var fig = new Figure("same curve").Line([0, 1, 2], [0, 1, 0], color: "#ff0000").Line([0, 1, 2], [0, 1, 0], color: "#0000ff")
            .Line([0, 2], [1, 1], markers: false, color: "#00ff00");
        Assert.Equal([MarkerShape.Circle, MarkerShape.OpenSquare, MarkerShape.Circle], fig.Series.Select(s => s.Shape));
        using var bmp = SkiaSharp.SKBitmap.Decode(fig.ToPng());
        var red = 0;
        for (var y = 0; y < bmp.Height; y++)
        for (var x = 0; x < bmp.Width; x++)
            if (bmp.GetPixel(x, y) is var c && c.Red > 200 && c.Green < 60 && c.Blue < 60) red++;
        Assert.True(red > 30, $"first line: {red} red pixels");
        var traces = System.Text.Json.Nodes.JsonNode.Parse(Plotly.NET.GenericChart.toFigureJson(fig.ToPlotly()))!["data"]!.AsArray();
        Assert.Equal(["circle", "square-open"], traces.Take(2).Select(t => (string?)t!["marker"]!["symbol"]));
        Assert.Equal("lines", (string?)traces[2]!["mode"]);
    }

    [Fact]
    public void Many_bar_categories_get_rotated_labels_with_room_for_the_axis_title_below_them()
    {
        var layers = Enumerable.Range(0, 6).SelectMany(b => new[] { $"L{b} v_proj", $"L{b} q_proj" }).ToArray();
        var bottom = new Figure("12 layers", x: "layer").Bar(layers, layers.Select((_, i) => (double)i)).ToScottPlot().Axes.Bottom;
        Assert.Equal(-35, bottom.TickLabelStyle.Rotation);
        Assert.True(bottom.MinimumSize >= Math.Sin(35 * Math.PI / 180) * 7 * "L0 v_proj".Length + 20, $"bottom axis {bottom.MinimumSize} px");
        var few = new Figure("3 methods", x: "method").Bar(["LoRA", "DoRA", "VeRA"], [1, 2, 3]).ToScottPlot().Axes.Bottom;
        Assert.Equal(0, few.TickLabelStyle.Rotation);
    }

    [Fact]
    public void A_long_title_gets_a_smaller_font_so_it_fits_over_the_data_area()
    {
        static float Size(string title) => new Figure(title).Line([0, 1], [0, 1], "a series with a long legend entry").ToScottPlot().Axes.Title.Label.FontSize;
        Assert.Equal(16, Size("Short"));
        var title = "Overlap of one measure's subnetworks on two few-shot draws (no markers: chance level)";
        // 800 px image, left axis and a legend of 32 characters: about 450 px for the title
        Assert.InRange(Size(title) * 0.56 * title.Length, 300, 500);
    }

    [Fact]
    public void Integer_x_values_over_a_short_span_get_whole_number_ticks()
    {
        static bool IntegerTicks(Figure f) =>
            f.ToScottPlot().Axes.Bottom.TickGenerator is ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly: true };
        static string XAxis(Figure f) => System.Text.Json.Nodes.JsonNode.Parse(Plotly.NET.GenericChart.toFigureJson(f.ToPlotly()))!["layout"]!["xaxis"]!.ToJsonString();

        var layers = new Figure("p_row per layer").Line([1, 2, 3, 4, 5, 6], [0.1, 0.2, 0, 0.05, 0, 0], "SVD");
        Assert.True(IntegerTicks(layers));
        Assert.Contains("\"dtick\":1", XAxis(layers));
        var ranks = new Figure("ranks").Scatter([0, 20], [1, 2]);
        Assert.Contains("\"dtick\":3", XAxis(ranks));

        Assert.False(IntegerTicks(new Figure("fractions").Line([0.1, 0.5, 0.9], [1, 2, 3])));
        Assert.False(IntegerTicks(new Figure("long").Line([0, 1000], [1, 2])));
        Assert.DoesNotContain("dtick", XAxis(new Figure("long").Line([0, 1000], [1, 2])));
        Assert.False(IntegerTicks(new Figure("one point").Line([3], [1])));
    }

    [Fact]
    public void Raw_plotly_charts_give_html_and_scottplot_plots_give_png()
    {
        var chart = new Figure("t").Line([1, 2], [3, 4]).ToPlotly();
        var pb = Formatters.Format(chart);
        Assert.True(pb.Has(MimeBundle.Html));
        Assert.False(pb.Has(MimeBundle.Png));

        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(new double[] { 1, 2 }, new double[] { 3, 4 });
        var sb = Formatters.Format(plot);
        Assert.True(sb.Has(MimeBundle.Png));
        Assert.False(sb.Has(MimeBundle.Html));
    }

    [Theory]
    [InlineData("lengths")]
    [InlineData("log")]
    [InlineData("mix")]
    [InlineData("band")]
    public void Bad_figures_are_rejected_naming_the_series(string what)
    {
        var e = Record.Exception(() =>
        {
            switch (what)
            {
                case "lengths": new Figure().Line([1, 2, 3], [1, 2], "acc"); break;
                case "log": new Figure("f").Line([0, 1], [1, 2], "acc").WithLogX().ToPng(); break;
                case "mix": new Figure("f").Bar(["a"], [1]).Line([1], [1]).ToPng(); break;
                case "band": new Figure().Band([1, 2], [1, 5], [2, 3], "sd"); break;
            }
        });
        Assert.NotNull(e);
        Assert.Contains(what switch
        {
            "lengths" => "line series 'acc': 3 x values but 2 y values",
            "log" => "line series 'acc': log x axis needs x > 0 (found 0)",
            "mix" => "figure 'f': bar series (categorical x) cannot share a figure",
            _ => "band series 'sd': lower 5 > upper 3 at x = 2",
        }, e.Message);
    }

    [Fact]
    public void Plain_values_tensors_and_sequences_are_text()
    {
        _ = TestSupport.Torch;
        Assert.Equal("1.5", Formatters.Format(1.5).Get(MimeBundle.Plain));
        Assert.Equal("[1, 2, 3]", Formatters.Format(new List<int> { 1, 2, 3 }).Get(MimeBundle.Plain));
        var t = Formatters.Format(TorchSharp.torch.tensor(new float[] { 1, 2 })).Get(MimeBundle.Plain)!;
        Assert.Contains("[2]", t);
        Assert.Contains("1", t);
        Assert.Equal("# hi", Formatters.Format(new MarkdownText("# hi")).Get(MimeBundle.Markdown));
    }
}
