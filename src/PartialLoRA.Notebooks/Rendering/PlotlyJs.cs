namespace PartialLoRA.Notebooks.Rendering;

/// <summary>
/// plotly.js as shipped inside Plotly.NET (an embedded resource, so charts render offline without any CDN).
/// </summary>
public static class PlotlyJs
{
    private static readonly Lazy<(string Version, string Source)> lib = new(Load);

    public static string Version => lib.Value.Version;

    /// <summary>The minified library, with "&lt;/script" escaped so it can be inlined in a script element.</summary>
    public static string Source => lib.Value.Source;

    /// <summary>The attribute that marks the inlined library, so a report can keep one copy of it.</summary>
    public const string MarkerAttribute = "data-plora-plotlyjs";

    public static string ScriptElement => $"<script type=\"text/javascript\" {MarkerAttribute}=\"{Version}\">{Source}</script>";

    private static (string, string) Load()
    {
        var asm = typeof(Plotly.NET.GenericChart).Assembly;
        var name = asm.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"{asm.GetName().Name} {asm.GetName().Version}: no embedded plotly-*.min.js resource (resources: {string.Join(", ", asm.GetManifestResourceNames())})");
        using var s = asm.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        var version = name["Plotly.NET.plotly-".Length..^".min.js".Length];
        return (version, r.ReadToEnd().Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase));
    }
}
