using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PartialLoRA.Notebooks.Execution;

namespace PartialLoRA.Notebooks.Authoring;

/// <summary>
/// Checks a notebook before it is committed or run: the Polyglot/.NET Interactive metadata, nbformat 4.5 cell ids
/// (present, valid, unique), every code cell in C#, its directives known, and its code free of C# syntax errors.
/// (Whether it compiles against the library is the executor's job: cells depend on earlier cells.)
/// </summary>
public static class NotebookValidator
{
    public static IReadOnlyList<string> Validate(Notebook nb)
    {
        var problems = new List<string>();
        var ks = nb.Metadata["kernelspec"];
        if ((string?)ks?["name"] != PolyglotMetadata.KernelName)
            problems.Add($"metadata.kernelspec.name: expected '{PolyglotMetadata.KernelName}' (found '{(string?)ks?["name"] ?? "nothing"}')");
        if ((string?)ks?["language"] != "C#") problems.Add("metadata.kernelspec.language: expected 'C#'");
        if (nb.Metadata["language_info"]?["name"] is null) problems.Add("metadata.language_info.name: missing");
        if ((string?)nb.Metadata["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"] != "csharp")
            problems.Add("metadata.polyglot_notebook.kernelInfo.defaultKernelName: expected 'csharp'");

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var codeNo = 0;
        for (var i = 0; i < nb.Cells.Count; i++)
        {
            var cell = nb.Cells[i];
            var where = cell.Type == CellType.Code ? $"cells[{i}] (code cell {++codeNo})" : $"cells[{i}] ({cell.Type.ToString().ToLowerInvariant()})";
            if (nb.FormatMinor >= 5)
            {
                if (cell.Id == null) problems.Add($"{where}: no id (nbformat 4.5 requires one)");
                else if (!CellIds.IsValid(cell.Id)) problems.Add($"{where}: invalid id '{cell.Id}'");
                else if (!ids.Add(cell.Id)) problems.Add($"{where}: duplicate id '{cell.Id}'");
            }
            if (cell.Type != CellType.Code) continue;
            var kernel = PolyglotMetadata.CellKernel(cell);
            if (kernel != "csharp") problems.Add($"{where}: kernel '{kernel}' (only csharp cells run)");
            var pre = CellPreprocessor.Process(cell.Source);
            if (pre.Error is { } err)
            {
                problems.Add($"{where}, line {err.Line}: {err.Message}");
                continue;
            }
            var tree = CSharpSyntaxTree.ParseText(pre.Code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
            foreach (var d in tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(3))
                problems.Add($"{where}, line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        return problems;
    }

    public static void ThrowIfInvalid(Notebook nb)
    {
        var problems = Validate(nb);
        if (problems.Count > 0)
            throw new NotebookFormatException($"{nb.Source}: {problems.Count} problem{(problems.Count == 1 ? "" : "s")}: {string.Join("; ", problems)}");
    }
}
