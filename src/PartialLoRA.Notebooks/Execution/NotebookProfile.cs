namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// How much of the paper's protocol a notebook runs. <c>smoke</c>: CPU, minutes, lab backbones, few runs (CI);
/// <c>lab</c>: the full protocol on lab backbones (GPU); <c>paper</c>: the paper's models and data, which the
/// user supplies — a notebook says so clearly when they are absent.
/// </summary>
public enum NotebookProfile { Smoke, Lab, Paper }

public static class NotebookProfiles
{
    public static NotebookProfile Parse(string text, string source) => text.Trim().ToLowerInvariant() switch
    {
        "smoke" => NotebookProfile.Smoke,
        "lab" => NotebookProfile.Lab,
        "paper" => NotebookProfile.Paper,
        _ => throw new ArgumentException($"{source}='{text}': expected smoke, lab or paper"),
    };

    public static string Name(this NotebookProfile p) => p.ToString().ToLowerInvariant();

    /// <summary>Default per-cell time limit: smoke cells must finish in minutes; lab/paper cells may train for hours.</summary>
    public static TimeSpan DefaultCellTimeout(this NotebookProfile p) =>
        p == NotebookProfile.Smoke ? TimeSpan.FromMinutes(10) : TimeSpan.FromHours(24);
}
