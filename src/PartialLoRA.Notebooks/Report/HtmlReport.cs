using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PartialLoRA.Notebooks.Execution;
using PartialLoRA.Notebooks.Rendering;

namespace PartialLoRA.Notebooks.Report;

/// <summary>
/// One self-contained HTML file for a run of notebooks: an index (status, cells, time, paper element), then every
/// notebook with its markdown rendered, code cells folded (a "show code" switch opens them all; failing cells are
/// open), and its outputs — tables, figures (interactive when JavaScript runs, the PNG otherwise), streams and
/// highlighted errors. plotly.js is inlined once; KaTeX is inlined when found on this machine, otherwise TeX
/// is shown in code style. Nothing is fetched from the network.
/// </summary>
public static partial class HtmlReport
{
    [GeneratedRegex("<script type=\"text/javascript\" " + PlotlyJs.MarkerAttribute + "=\"[^\"]*\">.*?</script>", RegexOptions.Singleline)]
    private static partial Regex EmbeddedPlotly();

    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();

    public static string Render(IReadOnlyList<NotebookRunResult> runs, RunInfo info, Katex.Assets? katex = null)
    {
        var body = new StringBuilder();
        var anyChart = false;
        foreach (var run in runs) body.Append(Section(run, ref anyChart));

        var passed = runs.Count(r => r.Status == NotebookStatus.Passed);
        var failed = runs.Count(r => r.Status == NotebookStatus.Failed);
        var skipped = runs.Count(r => r.Status == NotebookStatus.Skipped);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
        sb.Append($"<title>Partial-LoRA notebooks ({Enc(info.Profile)})</title>\n<style>{Resource("report.css")}</style>\n");
        if (katex != null) sb.Append($"<style>{katex.Css}</style>\n<script>{katex.Js}</script>\n");
        if (anyChart) sb.Append(PlotlyJs.ScriptElement).Append('\n');
        sb.Append("</head><body>\n<header>\n<h1>Partial-LoRA notebooks</h1>\n");
        sb.Append($"<p class=\"meta\">profile <b>{Enc(info.Profile)}</b> · seed {info.Seed} · device {Enc(info.Device)}{(info.Threads is { } th ? $" ({th} threads)" : "")} · code {Enc(info.Code)} · " +
                  $"{runs.Count} notebook{(runs.Count == 1 ? "" : "s")}: {passed} passed, {failed} failed, {skipped} skipped · " +
                  $"{runs.Sum(r => r.Elapsed.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture)} s · generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC</p>\n");
        sb.Append($"<p class=\"meta\"><code>{Enc(info.Command)}</code></p>\n");
        sb.Append("<label class=\"toggle\"><input type=\"checkbox\" id=\"show-code\"/> show all code</label>\n</header>\n");
        sb.Append("<nav><table class=\"index\"><thead><tr><th>notebook</th><th>paper</th><th>status</th><th class=\"n\">code cells</th><th class=\"n\">time</th></tr></thead><tbody>\n");
        foreach (var r in runs)
        {
            var paper = (string?)r.Notebook.Metadata["partial_lora"]?["paper"] ?? "";
            sb.Append($"<tr><td><a href=\"#{Anchor(r.Name)}\">{Enc(Title(r))}</a><div class=\"file\">{Enc(r.Name)}.ipynb</div></td><td>{Enc(paper)}</td>" +
                      $"<td><span class=\"status {Status(r)}\">{Status(r)}</span>{(r.Failure != null ? $"<div class=\"why\">{Enc(Short(r.Failure))}</div>" : r.SkipReason != null ? $"<div class=\"why\">{Enc(r.SkipReason)}</div>" : "")}</td>" +
                      $"<td class=\"n\">{r.CellsRun}/{r.CodeCells}</td><td class=\"n\">{r.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s</td></tr>\n");
        }
        sb.Append("</tbody></table></nav>\n<main>\n").Append(body).Append("</main>\n");
        sb.Append($"<script>{Resource("report.js")}</script>\n</body></html>\n");
        return sb.ToString();
    }

    public static void Write(string path, IReadOnlyList<NotebookRunResult> runs, RunInfo info, Katex.Assets? katex = null) =>
        AtomicFile.WriteAllText(path, Render(runs, info, katex));

    private static string Section(NotebookRunResult run, ref bool anyChart)
    {
        var sb = new StringBuilder();
        sb.Append($"<section class=\"notebook\" id=\"{Anchor(run.Name)}\">\n");
        sb.Append($"<div class=\"nbhead\"><span class=\"file\">{Enc(run.Name)}.ipynb</span> <span class=\"status {Status(run)}\">{Status(run)}</span> " +
                  $"<span class=\"file\">{run.CellsRun}/{run.CodeCells} code cells · {run.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s</span></div>\n");
        if (run.Failure != null) sb.Append($"<div class=\"error banner\">{Enc(run.Failure.Describe(run.Name))}</div>\n");
        if (run.SkipReason != null) sb.Append($"<div class=\"skip banner\">Skipped: {Enc(run.SkipReason)}</div>\n");
        var codeNo = 0;
        foreach (var cell in run.Notebook.Cells)
        {
            switch (cell.Type)
            {
                case CellType.Markdown:
                    sb.Append("<div class=\"md\">").Append(MarkdownHtml.ToHtml(cell.Source)).Append("</div>\n");
                    break;
                case CellType.Raw:
                    sb.Append("<pre class=\"raw\">").Append(Enc(cell.Source)).Append("</pre>\n");
                    break;
                default:
                    codeNo++;
                    var timing = run.Cells.FirstOrDefault(t => t.CodeCell == codeNo);
                    var failed = run.Failure?.CodeCell == codeNo;
                    var notRun = codeNo > run.CellsRun;
                    var label = $"code cell {codeNo}" + (cell.ExecutionCount is { } ec ? $" [{ec}]" : "") +
                                (timing != null ? $" · {timing.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s" : "") +
                                (notRun ? " · not run" : "") + (failed ? " · failed" : "");
                    sb.Append($"<div class=\"cell{(notRun ? " notrun" : "")}{(failed ? " failed" : "")}\">");
                    sb.Append($"<details class=\"code\"{(failed ? " open" : "")}><summary>{Enc(label)}</summary><pre><code class=\"language-csharp\">{Enc(cell.Source)}</code></pre></details>");
                    if (cell.Outputs.Count > 0)
                    {
                        sb.Append("<div class=\"outputs\">");
                        foreach (var o in cell.Outputs) sb.Append(Output(o, ref anyChart));
                        sb.Append("</div>");
                    }
                    sb.Append("</div>\n");
                    break;
            }
        }
        sb.Append("</section>\n");
        return sb.ToString();
    }

    /// <summary>Streams longer than this many lines scroll (report.css: <c>pre.stream.long</c>, 24 lines high).</summary>
    public const int LongStreamLines = 24;

    private static string Output(NotebookOutput o, ref bool anyChart)
    {
        switch (o.OutputType)
        {
            case NotebookOutput.StreamType:
                // a sweep's progress log has a line per run (260 in App. D's lab profile): past LongStreamLines it
                // scrolls in a box of that height, so the table and figure after it stay in view
                var lines = o.Text.Count(c => c == '\n') + (o.Text.EndsWith('\n') ? 0 : 1);
                var scrolls = lines > LongStreamLines;
                var attributes = $"class=\"stream {Enc(o.StreamName ?? "")}{(scrolls ? " long" : "")}\"" + (scrolls ? $" title=\"{lines} lines\"" : "");
                return $"<pre {attributes}>{Enc(Ansi().Replace(o.Text, ""))}</pre>";
            case NotebookOutput.ErrorType:
                return $"<div class=\"error\"><pre>{Enc(Ansi().Replace(string.Join("\n", o.Traceback.Count > 0 ? o.Traceback : [$"{o.ErrorName}: {o.ErrorValue}"]), ""))}</pre></div>";
        }
        var d = o.Data!;
        if (d.Get(MimeBundle.Html) is { } html)
        {
            if (html.Contains("Plotly.newPlot", StringComparison.Ordinal)) anyChart = true;
            return $"<div class=\"rich\">{EmbeddedPlotly().Replace(html, "")}</div>";
        }
        if (d.Get(MimeBundle.Png) is { } png) return $"<div class=\"rich\"><img src=\"data:image/png;base64,{png}\" alt=\"figure\"/></div>";
        if (d.Get(MimeBundle.Markdown) is { } md) return $"<div class=\"rich md\">{MarkdownHtml.ToHtml(md)}</div>";
        if (d.Get(MimeBundle.Plain) is { } text) return $"<pre class=\"result\">{Enc(text)}</pre>";
        return $"<pre class=\"result\">({Enc(string.Join(", ", d.Data.Keys))})</pre>";
    }

    /// <summary>The first markdown heading of the notebook, or its file name.</summary>
    private static string Title(NotebookRunResult r)
    {
        foreach (var c in r.Notebook.Cells.Where(c => c.Type == CellType.Markdown))
            foreach (var line in c.Source.Split('\n'))
                if (line.StartsWith('#')) return line.TrimStart('#').Trim();
        return r.Name;
    }

    private static string Short(CellFailure f) => $"code cell {f.CodeCell}{(f.Line is { } l ? $", line {l}" : "")}: {f.Message}";

    private static string Status(NotebookRunResult r) => r.Status.ToString().ToLowerInvariant();

    private static string Anchor(string name) => "nb-" + new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    private static string Resource(string name)
    {
        using var s = typeof(HtmlReport).Assembly.GetManifestResourceStream($"PartialLoRA.Notebooks.{name}")
                      ?? throw new InvalidOperationException($"embedded resource {name} is missing from PartialLoRA.Notebooks");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
