namespace PartialLoRA.Notebooks.Execution;

/// <summary>What every notebook of one run sees (as script globals) and how cells are run.</summary>
public sealed record ExecutorOptions
{
    public NotebookProfile Profile { get; init; } = NotebookProfile.Smoke;

    /// <summary>The data root (<c>--data</c> &gt; <c>PARTIALLORA_DATA</c> &gt; <c>./data</c>).</summary>
    public string DataRoot { get; init; } = Path.GetFullPath("data");

    /// <summary>The engine's results store: notebooks read finished runs from here instead of recomputing them.</summary>
    public string ResultsDir { get; init; } = Path.GetFullPath("results");

    /// <summary>Where notebooks may write their own files (figures, exports); the executed notebooks go here too.</summary>
    public string OutputDir { get; init; } = Path.GetFullPath(Path.Combine("notebooks", "out"));

    /// <summary>The seed notebooks pass to every random choice; Torch's default generator is also seeded with it per notebook.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Per-cell wall-clock limit; null uses the profile's default (<see cref="NotebookProfiles.DefaultCellTimeout"/>).</summary>
    public TimeSpan? CellTimeout { get; init; }

    /// <summary>
    /// After a timeout, how long to wait for the cell to stop on <c>Cancellation</c> (the library's sweeps and trainer
    /// check it every step) before leaving its thread behind.
    /// </summary>
    public TimeSpan CancelGrace { get; init; } = DefaultCancelGrace;

    /// <summary>The default of <see cref="CancelGrace"/> (and of the CLI's <c>--cancel-grace</c>).</summary>
    public static readonly TimeSpan DefaultCancelGrace = TimeSpan.FromSeconds(30);

    /// <summary>Also capture what native code (libtorch) writes to file descriptors 1 and 2 during a cell (Linux/macOS).</summary>
    public bool CaptureNativeOutput { get; init; } = true;

    /// <summary>Seed Torch's default generator with <see cref="Seed"/> before each notebook (starts Torch if needed).</summary>
    public bool SeedTorch { get; init; } = true;

    /// <summary>
    /// Inline plotly.js (≈3.5 MB) in the first chart of each notebook so figures are interactive offline. Off: charts
    /// keep their PNG and draw interactively only where plotly.js is already loaded (e.g. the report) — for
    /// committing small executed notebooks.
    /// </summary>
    public bool EmbedPlotlyJs { get; init; } = true;

    /// <summary>Progress lines (one per cell) for a console; null for silence.</summary>
    public Action<string>? Progress { get; init; }

    public TimeSpan EffectiveCellTimeout => CellTimeout ?? Profile.DefaultCellTimeout();
}
