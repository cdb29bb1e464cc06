using PartialLoRA.Notebooks.Report;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>Where a batch reads notebooks and writes what it produced.</summary>
/// <param name="InPlace">Write each executed notebook back over its source (to commit notebooks with outputs).</param>
/// <param name="Info">The run's settings: stamped into every executed notebook's metadata and printed in the report.</param>
/// <param name="Report">Write report.html into <paramref name="OutDir"/>.</param>
public sealed record BatchOptions(IReadOnlyList<string> Paths, string OutDir, bool InPlace, RunInfo Info, bool Report = true);

public sealed record BatchResult(IReadOnlyList<NotebookRunResult> Runs, string? ReportPath)
{
    public bool AllSucceeded => Runs.All(r => r.Status != NotebookStatus.Failed);
}

/// <summary>
/// Runs several notebooks one after the other (a failure stops only its own notebook), writes each executed
/// notebook atomically with its execution record (<see cref="RunInfo.Stamp"/>), then one report of them all.
/// </summary>
public static class NotebookBatch
{
    public static BatchResult Run(NotebookExecutor executor, BatchOptions batch, Action<NotebookRunResult>? finished = null)
    {
        // Load everything first: a malformed notebook is reported before hours of running the others.
        var notebooks = batch.Paths.Select(p => (Path: p, Notebook: Notebook.Load(p))).ToList();
        foreach (var (path, nb) in notebooks)
            if (!PolyglotMetadata.IsCSharpNotebook(nb))
                throw new NotebookFormatException($"{path}: not a C# notebook (metadata.kernelspec.name is '{(string?)nb.Metadata["kernelspec"]?["name"] ?? "missing"}', expected '{PolyglotMetadata.KernelName}')");

        var runs = new List<NotebookRunResult>();
        foreach (var (path, nb) in notebooks)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var result = executor.Run(nb, name, Path.GetDirectoryName(Path.GetFullPath(path))!);
            // The finished notebook's script state (tensors included) is garbage now; free its native memory before the
            // next notebook allocates its own (the GC does not see libtorch's memory pressure).
            GC.Collect();
            GC.WaitForPendingFinalizers();
            batch.Info.Stamp(result, DateTime.UtcNow);
            nb.Save(batch.InPlace ? path : Path.Combine(batch.OutDir, name + ".ipynb"));
            runs.Add(result);
            finished?.Invoke(result);
        }
        string? report = null;
        if (batch.Report)
        {
            report = Path.Combine(batch.OutDir, "report.html");
            var katex = Katex.TryLoad();
            if (katex == null)
                Console.Error.WriteLine($"report: KaTeX not found (Debian's libjs-katex, or ${Katex.Variable} naming a folder with katex.min.js, " +
                                        "katex.min.css and fonts/): equations are shown as TeX source");
            HtmlReport.Write(report, runs, batch.Info, katex);
        }
        return new BatchResult(runs, report);
    }
}
