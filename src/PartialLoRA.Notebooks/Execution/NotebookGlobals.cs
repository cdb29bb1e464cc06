using PartialLoRA.Notebooks.Rendering;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// What a notebook cell sees as globals: the run's profile, folders and seed, and the display helpers.
/// Members are lower-case where Polyglot Notebooks has the same helper (<c>display</c>).
/// </summary>
public sealed class NotebookGlobals
{
    internal NotebookGlobals(ExecutorOptions options, string notebookName, string notebookDirectory, CancellationToken cancellation)
    {
        Profile = options.Profile;
        DataRoot = options.DataRoot;
        ResultsDir = options.ResultsDir;
        OutputDir = options.OutputDir;
        Seed = options.Seed;
        NotebookName = notebookName;
        NotebookDirectory = notebookDirectory;
        Cancellation = cancellation;
    }

    /// <summary>smoke (CPU, minutes), lab (full protocol on lab backbones) or paper (paper models and data).</summary>
    public NotebookProfile Profile { get; }

    public bool IsSmoke => Profile == NotebookProfile.Smoke;

    /// <summary>The data root: datasets live below it.</summary>
    public string DataRoot { get; }

    /// <summary>The engine's results store; finished runs found here are reused instead of recomputed.</summary>
    public string ResultsDir { get; }

    /// <summary>A folder the notebook may write into (exports, extra figures).</summary>
    public string OutputDir { get; }

    /// <summary>The run's seed: pass it (or values derived from it) to every random choice.</summary>
    public int Seed { get; }

    /// <summary>The notebook's file name without extension.</summary>
    public string NotebookName { get; }

    /// <summary>The folder of the notebook file (relative paths in #r/#load resolve against it).</summary>
    public string NotebookDirectory { get; }

    /// <summary>Cancelled when the cell exceeds its time limit; long loops should pass it on or check it.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Picks the value for the current profile: <c>var epochs = ByProfile(smoke: 1, lab: 10, paper: 30);</c></summary>
    public T ByProfile<T>(T smoke, T lab, T paper) => Profile switch
    {
        NotebookProfile.Smoke => smoke,
        NotebookProfile.Lab => lab,
        _ => paper,
    };

    /// <summary>Shows a value in the cell's output (DataFrame, Figure, chart, markdown, anything), like Polyglot's display().</summary>
    public void display(object? value) => Show.Display(value);

    /// <summary>Shows a value restricted to the given MIME types, e.g. <c>display(df, "text/plain")</c>.</summary>
    public void display(object? value, params string[] mimeTypes) => Show.Display(value, mimeTypes);

    /// <summary>Markdown to show: <c>display(Markdown("**done**"))</c>, or as a cell's last expression.</summary>
    public MarkdownText Markdown(string markdown) => new(markdown);

    /// <summary>Raw HTML to show.</summary>
    public HtmlText Html(string html) => new(html);

    /// <summary>
    /// Ends the notebook here without failing it, saying why (e.g. the paper profile without user-supplied
    /// weights): the reason is shown in the output and in the run summary, and the remaining cells are not run.
    /// </summary>
    public void SkipNotebook(string reason) => throw new NotebookSkippedException(reason);
}

/// <summary>Thrown by <see cref="NotebookGlobals.SkipNotebook"/>; the executor turns it into a "skipped" status.</summary>
public sealed class NotebookSkippedException(string reason) : Exception(reason);
