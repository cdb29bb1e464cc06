using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace PartialLoRA.Notebooks.Rendering;

/// <summary>
/// A DataFrame as an HTML table (numbers right-aligned with one precision per column, a grey row index, a
/// "… N more rows …" line for long frames, a highlighted "paper" column for the paper's reported numbers) and as
/// aligned plain text. The HTML carries its own small style block so it reads well in any notebook front end.
/// </summary>
public static class DataFrameFormatter
{
    private const string Style =
        "<style>.plora-df{overflow-x:auto;margin:4px 0}.plora-df table{border-collapse:collapse;font-size:13px;line-height:1.4}" +
        ".plora-df th,.plora-df td{padding:3px 10px;border-bottom:1px solid rgba(127,127,127,.25);white-space:nowrap}" +
        ".plora-df thead th{border-bottom:2px solid rgba(127,127,127,.6);text-align:left;font-weight:600}" +
        ".plora-df .n{text-align:right;font-variant-numeric:tabular-nums}.plora-df .i{color:#888;text-align:right}" +
        ".plora-df tbody tr:nth-child(even){background:rgba(127,127,127,.07)}.plora-df .paper{color:#7b4fb3;font-style:italic}" +
        ".plora-df tr.more td{text-align:center;color:#888;font-style:italic}.plora-df .cap{color:#888;font-size:12px;margin-top:2px}</style>";

    public static MimeBundle Format(DataFrame df, int maxRows)
    {
        var cols = df.Columns.Select(Prepare).ToList();
        var rows = df.Rows.Count;
        var shown = ShownRows(rows, maxRows);
        return new MimeBundle()
            .Add(MimeBundle.Html, Html(cols, rows, shown))
            .Add(MimeBundle.Plain, Text(cols, rows, shown));
    }

    private sealed record Col(string Name, bool Numeric, bool Paper, Func<long, string> Cell);

    private static Col Prepare(DataFrameColumn c)
    {
        var numeric = IsNumeric(c.DataType);
        var paper = c.Name.Trim().StartsWith("paper", StringComparison.OrdinalIgnoreCase);
        if (!numeric) return new Col(c.Name, false, paper, r => c[r] is { } v ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "" : "—");
        var values = new List<double>();
        for (long r = 0; r < c.Length; r++)
            if (c[r] is { } v) values.Add(Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture));
        var fmt = NumberFormat.ForColumn(values);
        return new Col(c.Name, true, paper, r => c[r] is { } v ? fmt(Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)) : "—");
    }

    private static bool IsNumeric(Type t) =>
        t == typeof(double) || t == typeof(float) || t == typeof(decimal) || t == typeof(int) || t == typeof(long) ||
        t == typeof(short) || t == typeof(byte) || t == typeof(sbyte) || t == typeof(uint) || t == typeof(ulong) || t == typeof(ushort) || t == typeof(Half);

    /// <summary>Row indices to show, with -1 standing for the "more rows" line.</summary>
    private static List<long> ShownRows(long rows, int maxRows)
    {
        if (rows <= maxRows) return Enumerable.Range(0, (int)rows).Select(i => (long)i).ToList();
        var tail = Math.Min(5, maxRows / 4);
        var head = maxRows - tail;
        var list = new List<long>();
        for (long r = 0; r < head; r++) list.Add(r);
        list.Add(-1);
        for (var r = rows - tail; r < rows; r++) list.Add(r);
        return list;
    }

    private static string Html(List<Col> cols, long rows, List<long> shown)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder(Style).Append("<div class=\"plora-df\"><table><thead><tr><th class=\"i\"></th>");
        foreach (var c in cols)
        {
            var cls = (c.Numeric ? "n" : "") + (c.Paper ? " paper" : "");
            sb.Append("<th").Append(cls.Length > 0 ? $" class=\"{cls.Trim()}\"" : "")
              .Append(c.Paper ? " title=\"value reported in the paper\"" : "").Append('>').Append(E(c.Name)).Append("</th>");
        }
        sb.Append("</tr></thead><tbody>");
        foreach (var r in shown)
        {
            if (r < 0)
            {
                sb.Append($"<tr class=\"more\"><td colspan=\"{cols.Count + 1}\">… {rows - shown.Count + 1} more rows …</td></tr>");
                continue;
            }
            sb.Append("<tr><td class=\"i\">").Append(r).Append("</td>");
            foreach (var c in cols)
            {
                var cls = (c.Numeric ? "n" : "") + (c.Paper ? " paper" : "");
                sb.Append("<td").Append(cls.Length > 0 ? $" class=\"{cls.Trim()}\"" : "").Append('>').Append(E(c.Cell(r))).Append("</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        sb.Append($"<div class=\"cap\">{rows} row{(rows == 1 ? "" : "s")} × {cols.Count} column{(cols.Count == 1 ? "" : "s")}</div></div>");
        return sb.ToString();
    }

    private static string Text(List<Col> cols, long rows, List<long> shown)
    {
        var idx = shown.Select(r => r < 0 ? "…" : r.ToString()).ToList();
        var cells = cols.Select(c => shown.Select(r => r < 0 ? "…" : c.Cell(r)).ToList()).ToList();
        var idxW = idx.Max(s => s.Length);
        var widths = cols.Select((c, j) => Math.Max(c.Name.Length, cells[j].Count == 0 ? 0 : cells[j].Max(s => s.Length))).ToList();
        var sb = new StringBuilder();
        sb.Append(new string(' ', idxW));
        for (var j = 0; j < cols.Count; j++) sb.Append("  ").Append(cols[j].Numeric ? cols[j].Name.PadLeft(widths[j]) : cols[j].Name.PadRight(widths[j]));
        sb.Append('\n');
        for (var i = 0; i < shown.Count; i++)
        {
            sb.Append(idx[i].PadLeft(idxW));
            for (var j = 0; j < cols.Count; j++) sb.Append("  ").Append(cols[j].Numeric ? cells[j][i].PadLeft(widths[j]) : cells[j][i].PadRight(widths[j]));
            sb.Append('\n');
        }
        sb.Append($"[{rows} rows x {cols.Count} columns]");
        return sb.ToString();
    }
}
