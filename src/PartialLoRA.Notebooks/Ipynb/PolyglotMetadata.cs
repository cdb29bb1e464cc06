using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks;

/// <summary>
/// The metadata VS Code's Polyglot Notebooks extension and .NET Interactive's Jupyter kernel use to recognise a
/// C# notebook: <c>kernelspec</c> (.net-csharp), <c>language_info</c> and <c>polyglot_notebook.kernelInfo</c> on the
/// notebook; <c>dotnet_interactive.language</c> and <c>polyglot_notebook.kernelName</c> on each code cell.
/// </summary>
public static class PolyglotMetadata
{
    public const string KernelName = ".net-csharp";
    public const string KernelDisplayName = ".NET (C#)";

    public static JsonObject CSharpNotebookMetadata() => new()
    {
        ["kernelspec"] = new JsonObject { ["display_name"] = KernelDisplayName, ["language"] = "C#", ["name"] = KernelName },
        ["language_info"] = new JsonObject
        {
            ["file_extension"] = ".cs", ["mimetype"] = "text/x-csharp", ["name"] = "polyglot-notebook",
            ["pygments_lexer"] = "csharp", ["version"] = "13.0",
        },
        ["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = "csharp",
                ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["languageName"] = "C#", ["name"] = "csharp" }),
            },
        },
    };

    public static JsonObject CSharpCellMetadata() => new()
    {
        ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
        ["vscode"] = new JsonObject { ["languageId"] = "polyglot-notebook" },
    };

    /// <summary>The kernel a cell asks for ("csharp" when it says nothing): Polyglot notebooks can mix languages per cell.</summary>
    public static string CellKernel(NotebookCell cell) =>
        (string?)cell.Metadata["polyglot_notebook"]?["kernelName"]
        ?? (string?)cell.Metadata["dotnet_interactive"]?["language"]
        ?? "csharp";

    /// <summary>True when the notebook's kernelspec is .NET Interactive's C# kernel.</summary>
    public static bool IsCSharpNotebook(Notebook nb) => (string?)nb.Metadata["kernelspec"]?["name"] == KernelName;
}
