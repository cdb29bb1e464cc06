using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace PartialLoRA.Notebooks.Report;

/// <summary>
/// A small Markdown → HTML converter for notebook text: ATX headings, paragraphs, emphasis, inline code, links,
/// images, fenced code, block quotes, nested lists, GitHub tables (with alignment), rules, raw HTML blocks, and
/// math. Math (<c>$…$</c>, <c>$$…$$</c>) is kept as TeX in a <c>span.math</c> (shown in code style, or typeset by
/// KaTeX when the report embeds it); it is never mangled by emphasis rules.
/// </summary>
public static partial class MarkdownHtml
{
    [GeneratedRegex(@"^(#{1,6})\s+(.*?)\s*#*\s*$")] private static partial Regex Heading();
    [GeneratedRegex(@"^(`{3,}|~{3,})\s*([^\s`]*)")] private static partial Regex Fence();
    [GeneratedRegex(@"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")] private static partial Regex ListItem();
    [GeneratedRegex(@"^\s{0,3}([-*_])(\s*\1){2,}\s*$")] private static partial Regex Rule();
    [GeneratedRegex(@"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")] private static partial Regex TableSeparator();
    [GeneratedRegex(@"^\s*<(/?[a-zA-Z][a-zA-Z0-9-]*|!--)")] private static partial Regex HtmlBlock();

    public static string ToHtml(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        var sb = new StringBuilder();
        Blocks(lines, 0, lines.Length, sb);
        return sb.ToString();
    }

    private static void Blocks(string[] lines, int start, int end, StringBuilder sb)
    {
        var i = start;
        while (i < end)
        {
            var line = lines[i];
            if (line.Trim().Length == 0) { i++; continue; }

            if (Fence().Match(line) is { Success: true } f)
            {
                var fence = f.Groups[1].Value;
                var close = i + 1;
                while (close < end && !(lines[close].TrimEnd().Length >= fence.Length && lines[close].TrimEnd().All(c => c == fence[0]))) close++;
                var lang = f.Groups[2].Value;
                sb.Append("<pre><code").Append(lang.Length > 0 ? $" class=\"language-{Enc(lang)}\"" : "").Append('>')
                  .Append(Enc(string.Join("\n", lines[(i + 1)..Math.Min(close, end)]))).Append("</code></pre>\n");
                i = close + 1;
                continue;
            }
            if (line.Trim() == "$$" || line.TrimStart().StartsWith("$$", StringComparison.Ordinal) && !line.Trim()[2..].Contains("$$"))
            {
                // Display math over several lines: $$ … $$.
                var first = line.Trim()[2..];
                var close = i + 1;
                while (close < end && !lines[close].TrimEnd().EndsWith("$$", StringComparison.Ordinal)) close++;
                var body = new List<string>();
                if (first.Length > 0) body.Add(first);
                for (var k = i + 1; k < Math.Min(close, end); k++) body.Add(lines[k]);
                if (close < end) body.Add(lines[close].TrimEnd()[..^2]);
                sb.Append("<div class=\"math display\">").Append(Enc(string.Join("\n", body).Trim())).Append("</div>\n");
                i = close + 1;
                continue;
            }
            if (Heading().Match(line) is { Success: true } h)
            {
                var level = h.Groups[1].Value.Length;
                sb.Append($"<h{level}>").Append(Inline(h.Groups[2].Value)).Append($"</h{level}>\n");
                i++;
                continue;
            }
            if (Rule().IsMatch(line))
            {
                sb.Append("<hr/>\n");
                i++;
                continue;
            }
            if (line.TrimStart().StartsWith('>'))
            {
                var quoted = new List<string>();
                while (i < end && lines[i].TrimStart().StartsWith('>'))
                {
                    var t = lines[i].TrimStart()[1..];
                    quoted.Add(t.StartsWith(' ') ? t[1..] : t);
                    i++;
                }
                sb.Append("<blockquote>\n");
                Blocks(quoted.ToArray(), 0, quoted.Count, sb);
                sb.Append("</blockquote>\n");
                continue;
            }
            if (i + 1 < end && line.Contains('|') && TableSeparator().IsMatch(lines[i + 1]))
            {
                i = Table(lines, i, end, sb);
                continue;
            }
            if (ListItem().IsMatch(line))
            {
                i = List(lines, i, end, sb);
                continue;
            }
            if (HtmlBlock().IsMatch(line))
            {
                while (i < end && lines[i].Trim().Length > 0) sb.Append(lines[i++]).Append('\n');
                continue;
            }
            var para = new List<string>();
            while (i < end && lines[i].Trim().Length > 0 && !StartsBlock(lines, i, end)) para.Add(lines[i++]);
            if (para.Count == 0) para.Add(lines[i++]);
            sb.Append("<p>").Append(InlineLines(para)).Append("</p>\n");
        }
    }

    private static bool StartsBlock(string[] lines, int i, int end)
    {
        var l = lines[i];
        return Heading().IsMatch(l) || Fence().IsMatch(l) || Rule().IsMatch(l) || l.TrimStart().StartsWith('>') || ListItem().IsMatch(l)
               || l.Trim() == "$$" || i + 1 < end && l.Contains('|') && TableSeparator().IsMatch(lines[i + 1]);
    }

    private const string HardBreak = "\u0003";

    /// <summary>A paragraph's lines in one inline pass, so emphasis may span a line break as in Markdown.</summary>
    private static string InlineLines(List<string> lines)
    {
        var text = string.Join("\n", lines.Select((l, k) =>
            l.Trim().TrimEnd('\\') + (k < lines.Count - 1 && (l.EndsWith("  ", StringComparison.Ordinal) || l.EndsWith('\\')) ? HardBreak : "")));
        return Inline(text).Replace(HardBreak + "\n", "<br/>\n");
    }

    private static int List(string[] lines, int i, int end, StringBuilder sb)
    {
        var m = ListItem().Match(lines[i]);
        var indent = m.Groups[1].Value.Length;
        var ordered = char.IsDigit(m.Groups[2].Value[0]);
        var startNo = ordered ? int.Parse(m.Groups[2].Value.TrimEnd('.', ')'), System.Globalization.CultureInfo.InvariantCulture) : 1;
        sb.Append(ordered ? (startNo != 1 ? $"<ol start=\"{startNo}\">\n" : "<ol>\n") : "<ul>\n");
        while (i < end)
        {
            var im = ListItem().Match(lines[i]);
            if (!im.Success || im.Groups[1].Value.Length != indent) break;
            var item = new List<string> { im.Groups[3].Value };
            i++;
            // Continuation lines and nested content: anything indented deeper than the marker, until a blank line
            // followed by something that is not indented.
            var nested = new List<string>();
            while (i < end)
            {
                var l = lines[i];
                if (l.Trim().Length == 0)
                {
                    if (i + 1 < end && Indent(lines[i + 1]) > indent) { nested.Add(""); i++; continue; }
                    break;
                }
                if (Indent(l) > indent)
                {
                    if (ListItem().IsMatch(l) || nested.Count > 0) nested.Add(l); else item.Add(l.Trim());
                    i++;
                    continue;
                }
                // Lazy continuation of the item's text; a marker at this indent or less ends the item.
                if (nested.Count == 0 && !StartsBlock(lines, i, end)) { item.Add(l.Trim()); i++; continue; }
                break;
            }
            sb.Append("<li>").Append(InlineLines(item));
            if (nested.Count > 0)
            {
                var minIndent = nested.Where(l => l.Trim().Length > 0).Min(Indent);
                var dedented = nested.Select(l => l.Length >= minIndent ? l[minIndent..] : l.TrimStart()).ToArray();
                sb.Append('\n');
                Blocks(dedented, 0, dedented.Length, sb);
            }
            sb.Append("</li>\n");
            while (i < end && lines[i].Trim().Length == 0 && i + 1 < end && ListItem().Match(lines[i + 1]) is { Success: true } nm && nm.Groups[1].Value.Length == indent) i++;
        }
        sb.Append(ordered ? "</ol>\n" : "</ul>\n");
        return i;
    }

    private static int Indent(string l) => l.Length - l.TrimStart().Length;

    private static int Table(string[] lines, int i, int end, StringBuilder sb)
    {
        var header = Cells(lines[i]);
        var aligns = Cells(lines[i + 1]).Select(c => c.StartsWith(':') && c.EndsWith(':') ? "center" : c.EndsWith(':') ? "right" : c.StartsWith(':') ? "left" : null).ToList();
        string Align(int k) => k < aligns.Count && aligns[k] != null ? $" style=\"text-align:{aligns[k]}\"" : "";
        sb.Append("<table class=\"md-table\"><thead><tr>");
        for (var k = 0; k < header.Count; k++) sb.Append($"<th{Align(k)}>").Append(Inline(header[k])).Append("</th>");
        sb.Append("</tr></thead><tbody>\n");
        i += 2;
        while (i < end && lines[i].Trim().Length > 0 && lines[i].Contains('|'))
        {
            var row = Cells(lines[i]);
            sb.Append("<tr>");
            for (var k = 0; k < header.Count; k++) sb.Append($"<td{Align(k)}>").Append(k < row.Count ? Inline(row[k]) : "").Append("</td>");
            sb.Append("</tr>\n");
            i++;
        }
        sb.Append("</tbody></table>\n");
        return i;
    }

    /// <summary>Splits a table row on unescaped pipes outside code spans and math.</summary>
    private static List<string> Cells(string row)
    {
        var t = row.Trim();
        if (t.StartsWith('|')) t = t[1..];
        if (t.EndsWith('|') && !t.EndsWith("\\|", StringComparison.Ordinal)) t = t[..^1];
        var cells = new List<string>();
        var cur = new StringBuilder();
        var inCode = false;
        var inMath = false;
        for (var k = 0; k < t.Length; k++)
        {
            var c = t[k];
            if (c == '\\' && k + 1 < t.Length && t[k + 1] == '|') { cur.Append('|'); k++; continue; }
            if (c == '`') inCode = !inCode;
            if (c == '$' && !inCode) inMath = !inMath;
            if (c == '|' && !inCode && !inMath) { cells.Add(cur.ToString().Trim()); cur.Clear(); continue; }
            cur.Append(c);
        }
        cells.Add(cur.ToString().Trim());
        return cells;
    }

    [GeneratedRegex(@"(`+)(.+?)\1", RegexOptions.Singleline)] private static partial Regex CodeSpan();
    [GeneratedRegex(@"\$\$(.+?)\$\$|(?<![\\$\w])\$(?=\S)([^$\n]*?\S)\$(?![\d$])")] private static partial Regex InlineMath();
    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)\s]+)(?:\s+""([^""]*)"")?\)")] private static partial Regex Image();
    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)(?:\s+""([^""]*)"")?\)")] private static partial Regex Link();
    [GeneratedRegex(@"&lt;(https?://[^\s&]+)&gt;")] private static partial Regex AutoLink();
    [GeneratedRegex(@"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", RegexOptions.Singleline)] private static partial Regex Strong();
    [GeneratedRegex(@"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\*)|(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])", RegexOptions.Singleline)] private static partial Regex Emphasis();
    [GeneratedRegex(@"~~(?=\S)(.+?)(?<=\S)~~", RegexOptions.Singleline)] private static partial Regex Strike();
    [GeneratedRegex(@"\\([\\`*_{}\[\]()#+\-.!|$])")] private static partial Regex Escape();
    [GeneratedRegex("\u0001(\\d+)\u0002")] private static partial Regex Placeholder();

    /// <summary>Inline markdown of one line: code spans and math are set aside first so nothing inside them is interpreted.</summary>
    public static string Inline(string text)
    {
        var held = new List<string>();
        string Hold(string html)
        {
            held.Add(html);
            return $"\u0001{held.Count - 1}\u0002";
        }
        var s = Escape().Replace(text, m => Hold(Enc(m.Groups[1].Value)));
        s = CodeSpan().Replace(s, m => Hold($"<code>{Enc(m.Groups[2].Value.Trim())}</code>"));
        s = InlineMath().Replace(s, m => m.Groups[1].Success
            ? Hold($"<span class=\"math display\">{Enc(m.Groups[1].Value)}</span>")
            : Hold($"<span class=\"math\">{Enc(m.Groups[2].Value)}</span>"));
        s = Enc(s);
        s = Image().Replace(s, m => Hold($"<img src=\"{m.Groups[2].Value}\" alt=\"{m.Groups[1].Value}\"{(m.Groups[3].Success ? $" title=\"{m.Groups[3].Value}\"" : "")}/>"));
        s = Link().Replace(s, m => $"<a href=\"{m.Groups[2].Value}\"{(m.Groups[3].Success ? $" title=\"{m.Groups[3].Value}\"" : "")}>{m.Groups[1].Value}</a>");
        s = AutoLink().Replace(s, m => $"<a href=\"{m.Groups[1].Value}\">{m.Groups[1].Value}</a>");
        s = Strong().Replace(s, m => $"<strong>{m.Groups[2].Value}</strong>");
        s = Emphasis().Replace(s, m => $"<em>{(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)}</em>");
        s = Strike().Replace(s, m => $"<del>{m.Groups[1].Value}</del>");
        // Placeholders can nest (a code span inside a link text), so restore until none is left.
        while (Placeholder().IsMatch(s)) s = Placeholder().Replace(s, m => held[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)]);
        return s;
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
