namespace PartialLoRA.Notebooks.Rendering;

/// <summary>A ScottPlot plot as a PNG output.</summary>
public static class ScottPlotPng
{
    public static byte[] Render(ScottPlot.Plot plot, int width, int height) => plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);

    public static MimeBundle Bundle(ScottPlot.Plot plot, int width, int height) =>
        new MimeBundle().AddPng(Render(plot, width, height), width, height).Add(MimeBundle.Plain, $"ScottPlot figure {width}x{height}");
}
