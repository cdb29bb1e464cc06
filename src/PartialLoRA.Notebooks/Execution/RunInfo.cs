using System.Globalization;
using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Notebooks.Authoring;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// What a run of notebooks was: profile, seed, device, CPU threads, the command line and the code version
/// (<see cref="CodeVersion"/>: the git commit the library was built from). The report prints it and every executed
/// notebook keeps it with its outputs (<see cref="Stamp"/>), so a committed notebook says what produced its figures.
/// </summary>
public sealed record RunInfo(string Profile, int Seed, string Device, string Command)
{
    /// <summary>The metadata field (under <see cref="NotebookBuilder.MetadataKey"/>) that holds a notebook's last execution.</summary>
    public const string ExecutionKey = "execution";

    public int? Threads { get; init; }

    public string Code { get; init; } = CodeVersion.Current;

    /// <summary>Records <paramref name="run"/> (status, cells, time) and this run's settings in the notebook's metadata.</summary>
    public void Stamp(NotebookRunResult run, DateTime finishedUtc)
    {
        var meta = run.Notebook.Metadata;
        if (meta[NotebookBuilder.MetadataKey] is not JsonObject project)
            meta[NotebookBuilder.MetadataKey] = project = new JsonObject();
        var o = new JsonObject
        {
            ["profile"] = Profile,
            ["status"] = run.Status.ToString().ToLowerInvariant(),
            ["code_cells_run"] = run.CellsRun,
            ["code_cells"] = run.CodeCells,
            ["seconds"] = Math.Round(run.Elapsed.TotalSeconds, 1),
            ["finished_utc"] = finishedUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["device"] = Device,
            ["seed"] = Seed,
            ["code"] = Code,
            ["command"] = Command,
        };
        if (Threads is { } t) o["threads"] = t;
        project[ExecutionKey] = o;
    }

    /// <summary>The execution record <see cref="Stamp"/> left in <paramref name="notebook"/>, or null if it was never executed.</summary>
    public static JsonObject? Execution(Notebook notebook) =>
        notebook.Metadata[NotebookBuilder.MetadataKey]?[ExecutionKey] as JsonObject;
}
