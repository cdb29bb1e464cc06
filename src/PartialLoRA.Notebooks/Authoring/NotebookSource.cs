using System.Text;
using System.Text.RegularExpressions;

namespace PartialLoRA.Notebooks.Authoring;

/// <summary>
/// A readable source format for notebooks: a Markdown file in which every top-level <c>```csharp</c> fence
/// becomes a code cell and the text between fences becomes markdown cells. A line <c>&lt;!-- cell --&gt;</c>
/// splits markdown into separate cells. Optional front matter sets project metadata:
/// <code>
/// ---
/// paper: Table 2
/// ---
/// # Ranks of the winning tickets
/// Some text with $\Delta W = BA$.
/// ```csharp
/// var fig = new Figure("…");
/// ```
/// </code>
/// Fences in other languages (```text, ```bash) stay inside the markdown. <c>notebooks/src/NAME.md</c> is built
/// into <c>notebooks/NAME.ipynb</c> by <c>partial-lora notebooks build</c>.
/// </summary>
public static partial class NotebookSource
{
    public const string CellBreak = "<!-- cell -->";

    [GeneratedRegex(@"^(?<fence>`{3,}|~{3,})\s*(?<lang>[^\s`]*)\s*$")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^(?<key>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?<value>.*)$")]
    private static partial Regex FrontMatterLine();

    private static readonly string[] CSharpTags = ["csharp", "cs", "c#"];

    public static NotebookBuilder Parse(string text, string name, string source)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var b = new NotebookBuilder(name);
        var i = 0;
        if (lines.Length > 0 && lines[0].Trim() == "---")
        {
            var end = Array.FindIndex(lines, 1, l => l.Trim() == "---");
            if (end < 0) throw new NotebookFormatException($"{source}:1: front matter opened with '---' is never closed");
            for (var k = 1; k < end; k++)
            {
                if (lines[k].Trim().Length == 0) continue;
                var m = FrontMatterLine().Match(lines[k]);
                if (!m.Success) throw new NotebookFormatException($"{source}:{k + 1}: front matter line '{lines[k]}': expected 'key: value'");
                b.Set(m.Groups["key"].Value, m.Groups["value"].Value.Trim());
            }
            i = end + 1;
        }

        var markdown = new StringBuilder();
        void FlushMarkdown()
        {
            var md = markdown.ToString().Trim('\n');
            if (md.Trim().Length > 0) b.Markdown(md);
            markdown.Clear();
        }

        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            var open = FenceOpen().Match(line);
            if (open.Success)
            {
                var fence = open.Groups["fence"].Value;
                var isCode = CSharpTags.Contains(open.Groups["lang"].Value.ToLowerInvariant());
                var close = Array.FindIndex(lines, i + 1, l => IsClose(l, fence));
                if (close < 0) throw new NotebookFormatException($"{source}:{i + 1}: code fence '{fence}{open.Groups["lang"].Value}' is never closed");
                if (isCode)
                {
                    FlushMarkdown();
                    var code = string.Join("\n", lines[(i + 1)..close]);
                    if (code.Trim().Length == 0) throw new NotebookFormatException($"{source}:{i + 1}: empty csharp code cell");
                    b.Code(code);
                }
                else
                {
                    for (var k = i; k <= close; k++) markdown.Append(lines[k]).Append('\n');
                }
                i = close;
                continue;
            }
            if (line.Trim() == CellBreak)
            {
                FlushMarkdown();
                continue;
            }
            markdown.Append(line).Append('\n');
        }
        FlushMarkdown();
        return b;
    }

    public static NotebookBuilder Load(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return Parse(File.ReadAllText(path, Encoding.UTF8), name, path);
    }

    private static bool IsClose(string line, string fence)
    {
        var t = line.TrimEnd();
        return t.Length >= fence.Length && t.All(c => c == fence[0]);
    }
}
