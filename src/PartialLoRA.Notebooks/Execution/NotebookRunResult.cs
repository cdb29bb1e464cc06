namespace PartialLoRA.Notebooks.Execution;

public enum NotebookStatus { Passed, Failed, Skipped }

/// <summary>Time and status of one executed code cell (1-based <see cref="CodeCell"/>).</summary>
public sealed record CellTiming(int CodeCell, TimeSpan Elapsed, bool Ok);

/// <summary>The outcome of running one notebook; <see cref="Notebook"/> holds the outputs.</summary>
public sealed record NotebookRunResult(
    string Name,
    Notebook Notebook,
    NotebookStatus Status,
    int CodeCells,
    int CellsRun,
    TimeSpan Elapsed,
    CellFailure? Failure,
    string? SkipReason,
    IReadOnlyList<CellTiming> Cells);
