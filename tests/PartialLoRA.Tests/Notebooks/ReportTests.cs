using System.Text.RegularExpressions;
using PartialLoRA.Notebooks.Execution;
using PartialLoRA.Notebooks.Report;

namespace PartialLoRA.Tests.Notebooks;

[Collection(ExecutorCollection.Name)]
public class ReportTests
{
    [Fact]
    public void The_report_is_one_offline_file_with_index_outputs_and_highlighted_errors()
    {
        var ok = ExecutorFixture.Run("display(new Figure(\"one\").Line(new double[] { 1, 2 }, new double[] { 1, 4 }));",
            "new DataFrame(new DoubleDataFrameColumn(\"acc\", new[] { 0.5 }))");
        var bad = ExecutorFixture.Run("new Figure(\"two\").Scatter(new double[] { 1 }, new double[] { 2 })", "throw new Exception(\"broken <here>\");", "1");
        var runs = new[] { ok.Result with { Name = "01-ok" }, bad.Result with { Name = "02-bad" } };
        var html = HtmlReport.Render(runs, new RunInfo("smoke", 7, "cpu", "partial-lora notebooks run"), katex: null);

        Assert.Contains("<a href=\"#nb-01-ok\">Executor test</a>", html);
        Assert.Contains("<span class=\"status passed\">passed</span>", html);
        Assert.Contains("<span class=\"status failed\">failed</span>", html);
        Assert.Contains("code cell 2, line 1: Exception: broken &lt;here&gt;", html); // index: why it failed
        Assert.Contains("<div class=\"cell failed\"><details class=\"code\" open>", html); // failing code shown
        Assert.Contains("<div class=\"cell notrun\">", html);
        Assert.Contains("<td class=\"n\">0.5000</td>", html);
        // Two notebooks with charts, plotly.js exactly once; nothing loaded from the network.
        Assert.Single(Regex.Matches(html, "data-plora-plotlyjs="));
        Assert.Equal(2, Regex.Matches(html, "Plotly.newPlot\\(el").Count);
        var outside = Regex.Replace(html, "<script[^>]*data-plora-plotlyjs.*?</script>", "", RegexOptions.Singleline);
        Assert.DoesNotMatch("(src|href)=\"https?:", outside);
    }

    [Fact]
    public void A_long_stream_scrolls_in_a_box_and_a_short_one_does_not()
    {
        var lines = HtmlReport.LongStreamLines;
        var run = ExecutorFixture.Run($"for (var i = 0; i < {lines + 1}; i++) Console.WriteLine($\"run {{i}}\");",
            $"for (var i = 0; i < {lines}; i++) Console.WriteLine(i);");
        var html = HtmlReport.Render([run.Result], new RunInfo("smoke", 7, "cpu", "partial-lora notebooks run"), katex: null);
        Assert.Contains($"<pre class=\"stream stdout long\" title=\"{lines + 1} lines\">run 0\n", html);
        Assert.Single(Regex.Matches(html, "<pre class=\"stream stdout long\""));
        Assert.Contains("<pre class=\"stream stdout\">0\n1\n", html);
        Assert.Matches(@"pre\.stream\.long\{max-height:[^}]*overflow-y:auto", html);
    }

    [Fact]
    public void Katex_is_inlined_with_its_fonts_when_present()
    {
        var dir = TestSupport.TempDir("katex");
        Directory.CreateDirectory(Path.Combine(dir, "fonts"));
        File.WriteAllText(Path.Combine(dir, "katex.min.js"), "window.katex={render:function(){}};");
        File.WriteAllText(Path.Combine(dir, "katex.min.css"),
            "@font-face{font-family:K;src:url(fonts/K.woff2) format('woff2'),url(fonts/K.woff) format('woff'),url(fonts/K.ttf) format('truetype')}");
        File.WriteAllBytes(Path.Combine(dir, "fonts", "K.woff2"), [1, 2, 3]);
        var k = Katex.TryLoad(dir)!;
        Assert.Equal("@font-face{font-family:K;src:url(data:font/woff2;base64,AQID) format('woff2')}", k.Css);
        Assert.Null(Katex.TryLoad(Path.Combine(dir, "missing")));
    }
}
