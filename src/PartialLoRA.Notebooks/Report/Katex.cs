using System.Text.RegularExpressions;

namespace PartialLoRA.Notebooks.Report;

/// <summary>
/// KaTeX for typesetting the notebooks' math in the report, used only when it is already on this machine (the
/// report never fetches anything): <c>PARTIALLORA_KATEX</c> names a folder holding <c>katex.min.js</c>,
/// <c>katex.min.css</c> and <c>fonts/</c>; otherwise Debian's <c>libjs-katex</c> location is tried. The fonts are
/// inlined (woff2) so the report stays one file. Without KaTeX, TeX is shown as code.
/// </summary>
public static partial class Katex
{
    public const string Variable = "PARTIALLORA_KATEX";

    public static readonly IReadOnlyList<string> DefaultFolders = ["/usr/share/javascript/katex", "/usr/share/nodejs/katex/dist"];

    public sealed record Assets(string Js, string Css, string Folder);

    [GeneratedRegex(@",?\s*url\((?<q>['""]?)fonts/(?<file>[^'"")]+)\k<q>\)\s*format\((?<fq>['""])(?<fmt>[^'""]+)\k<fq>\)")]
    private static partial Regex FontUrl();

    /// <summary>The assets from <paramref name="folder"/>, or from $PARTIALLORA_KATEX / the default folders; null when none is complete.</summary>
    public static Assets? TryLoad(string? folder = null)
    {
        var candidates = folder != null ? [folder]
            : Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } env ? [env] : DefaultFolders.ToArray();
        foreach (var dir in candidates)
        {
            var js = Path.Combine(dir, "katex.min.js");
            var css = Path.Combine(dir, "katex.min.css");
            if (!File.Exists(js) || !File.Exists(css) || !Directory.Exists(Path.Combine(dir, "fonts"))) continue;
            var inlined = FontUrl().Replace(File.ReadAllText(css), m =>
            {
                if (m.Groups["fmt"].Value != "woff2") return "";
                var font = Path.Combine(dir, "fonts", m.Groups["file"].Value);
                var data = File.Exists(font) ? Convert.ToBase64String(File.ReadAllBytes(font)) : null;
                var sep = m.Value.TrimStart().StartsWith(',') ? "," : "";
                return data == null ? "" : $"{sep}url(data:font/woff2;base64,{data}) format('woff2')";
            });
            var script = File.ReadAllText(js).Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
            return new Assets(script, inlined, dir);
        }
        return null;
    }
}
