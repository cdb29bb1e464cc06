namespace PartialLoRA.Notebooks.Figures;

/// <summary>The series colours (Tableau 10), shared by both renderers so the PNG and the interactive figure match.</summary>
public static class Palette
{
    public static readonly IReadOnlyList<string> Colors =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static string At(int i) => Colors[i % Colors.Count];

    /// <summary>"#rrggbb" → "rgba(r,g,b,alpha)" for translucent fills.</summary>
    public static string Rgba(string hex, double alpha)
    {
        var (r, g, b) = Parse(hex);
        return $"rgba({r},{g},{b},{alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
    }

    public static (byte R, byte G, byte B) Parse(string hex)
    {
        var h = hex.TrimStart('#');
        if (h.Length != 6 || !int.TryParse(h, System.Globalization.NumberStyles.HexNumber, null, out var v))
            throw new ArgumentException($"colour '{hex}': expected #rrggbb");
        return ((byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }
}
