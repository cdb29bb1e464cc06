namespace PartialLoRA.Notebooks.Figures;

public enum SeriesKind { Line, Scatter, Bar, Band, Heatmap }

/// <summary>
/// Marker of a line or scatter series. Series with markers take them in turn: the first is filled, the others are
/// outlines, so a point that two series share stays visible as a shape around the other's.
/// </summary>
public enum MarkerShape { Circle, OpenSquare, OpenTriangle, OpenDiamond, Cross, X }

/// <summary>
/// One series of a <see cref="Figure"/>. Which arrays are set depends on <see cref="Kind"/>: X/Y (line, scatter),
/// Categories/Y/Errors (bar), X/Lower/Upper (band), Z/XLabels/YLabels (heatmap, Z[row, column], row 0 at the bottom).
/// </summary>
public sealed record Series(SeriesKind Kind, string? Name, string Color)
{
    public double[] X { get; init; } = [];
    public double[] Y { get; init; } = [];
    public double[]? Errors { get; init; }
    public double[] Lower { get; init; } = [];
    public double[] Upper { get; init; } = [];
    public string[] Categories { get; init; } = [];
    public double[,]? Z { get; init; }
    public string[]? XLabels { get; init; }
    public string[]? YLabels { get; init; }
    public bool Markers { get; init; }

    public MarkerShape Shape { get; init; }

    /// <summary>Excluded from the legend (the band drawn under a line of the same name).</summary>
    public bool HideInLegend { get; init; }
}
