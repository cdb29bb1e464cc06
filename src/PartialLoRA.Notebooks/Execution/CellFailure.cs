namespace PartialLoRA.Notebooks.Execution;

public enum FailureKind { Directive, Compile, Runtime, Timeout }

/// <summary>
/// Why a notebook stopped. <see cref="CodeCell"/> is 1-based and counts code cells only (what a reader numbers
/// when scanning the code); <see cref="CellIndex"/> is 0-based over all cells, markdown included.
/// </summary>
public sealed record CellFailure(int CodeCell, int CellIndex, int TotalCells, FailureKind Kind, int? Line, string Message)
{
    public string Describe(string notebook) =>
        $"{notebook}: code cell {CodeCell} (1-based, counting code cells; cell {CellIndex + 1} of {TotalCells} overall)" +
        (Line is { } l ? $", line {l}" : "") + $": {KindText} {Message}";

    private string KindText => Kind switch
    {
        FailureKind.Directive => "directive error:",
        FailureKind.Compile => "compile error:",
        FailureKind.Runtime => "runtime error:",
        _ => "timeout:",
    };
}
