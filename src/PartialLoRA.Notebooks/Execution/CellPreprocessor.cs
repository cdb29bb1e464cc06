using System.Text.RegularExpressions;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>A cell's code after its Polyglot directives were handled.</summary>
/// <param name="Code">The C# to compile: directive lines are blanked (not removed) so compiler line numbers match the cell.</param>
/// <param name="Notes">What the directives did, shown in the cell's output.</param>
/// <param name="Imports">Files named by <c>#!import</c>, run before the cell.</param>
/// <param name="Time">The cell asked for its wall time (<c>#!time</c>).</param>
/// <param name="Error">A directive the executor cannot satisfy, with its 1-based line.</param>
public sealed record PreprocessedCell(string Code, IReadOnlyList<string> Notes, IReadOnlyList<string> Imports, bool Time, (int Line, string Message)? Error);

/// <summary>
/// Handles the directives a Polyglot (.NET Interactive) C# cell may contain:
/// <list type="bullet">
/// <item><c>#r "nuget: Name, Version"</c>: satisfied by the project's own reference to Name (see <see cref="PackageCatalog"/>), else an error.</item>
/// <item><c>#r "…/PartialLoRA.dll"</c> or a project file of this repository: the library is already loaded.</item>
/// <item><c>#i "nuget: source"</c>: package sources are not used (noted).</item>
/// <item><c>#!csharp</c> / <c>#!c#</c>: the only kernel there is; <c>#!time</c>: prints the cell's wall time; <c>#!import file</c>: runs a .cs/.csx file or an .ipynb's code cells first.</item>
/// <item>Other kernels (<c>#!fsharp</c>, <c>#!pwsh</c>, …) and other magic commands: a clear error.</item>
/// <item><c>using Microsoft.DotNet.Interactive…;</c>: dropped (the executor provides <c>display</c> itself).</item>
/// </list>
/// Other <c>#r "x.dll"</c> lines and <c>#load</c> are left to Roslyn, resolved against the notebook's folder.
/// </summary>
public static partial class CellPreprocessor
{
    private static readonly string[] OtherKernels =
        ["fsharp", "f#", "fs", "pwsh", "powershell", "javascript", "js", "html", "markdown", "md", "sql", "kql", "mermaid", "http", "value", "python", "r", "spiral"];

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*(?<name>[^,"]+?)\s*(,\s*(?<version>[^"]*?)\s*)?"\s*(//.*)?$""")]
    private static partial Regex NugetReference();

    [GeneratedRegex("""^\s*#r\s+"(?<path>[^"]+)"\s*(//.*)?$""")]
    private static partial Regex PathReference();

    [GeneratedRegex("""^\s*#i\s+"[^"]*"\s*(//.*)?$""")]
    private static partial Regex PackageSource();

    [GeneratedRegex("""^\s*#!(?<name>\S+)\s*(?<arg>.*?)\s*$""")]
    private static partial Regex Magic();

    [GeneratedRegex("""^\s*using\s+(static\s+)?Microsoft\.DotNet\.Interactive(\.[\w.]+)?\s*;\s*$""")]
    private static partial Regex InteractiveUsing();

    public static PreprocessedCell Process(string source)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var notes = new List<string>();
        var imports = new List<string>();
        var time = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var lineNo = i + 1;
            string? error = null;
            var handled = true;
            if (NugetReference().Match(line) is { Success: true } nm)
            {
                var r = PackageCatalog.Resolve(nm.Groups["name"].Value.Trim(), nm.Groups["version"].Success ? nm.Groups["version"].Value.Trim() : null);
                if (r.Ok) notes.Add(r.Message); else error = r.Message;
            }
            else if (PathReference().Match(line) is { Success: true } pm && IsOwnLibrary(pm.Groups["path"].Value, out var what))
                notes.Add($"#r \"{pm.Groups["path"].Value}\": {what}");
            else if (PathReference().Match(line) is { Success: true } pp && pp.Groups["path"].Value.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
                error = $"#r \"{pp.Groups["path"].Value}\": the executor does not build projects; only this repository's libraries (PartialLoRA, PartialLoRA.Notebooks) are available";
            else if (PackageSource().IsMatch(line))
                notes.Add($"{line.Trim()}: ignored, the executor uses the project's own packages and downloads nothing");
            else if (Magic().Match(line) is { Success: true } mm)
            {
                var name = mm.Groups["name"].Value;
                var arg = mm.Groups["arg"].Value;
                switch (name.ToLowerInvariant())
                {
                    case "csharp" or "c#" or "cs":
                        break;
                    case "time":
                        time = true;
                        break;
                    case "import":
                        if (arg.Length == 0) error = "#!import needs a file name";
                        else imports.Add(arg.Trim('"'));
                        break;
                    default:
                        error = OtherKernels.Contains(name.ToLowerInvariant())
                            ? $"#!{name} selects Polyglot's '{name}' kernel; this executor runs C# cells only"
                            : $"magic command #!{name} is not supported here (supported: #!csharp, #!time, #!import)";
                        break;
                }
            }
            else if (InteractiveUsing().IsMatch(line)) { }
            else handled = false;

            if (error != null) return new PreprocessedCell("", notes, imports, time, (lineNo, error));
            if (handled) lines[i] = "";
        }
        return new PreprocessedCell(string.Join("\n", lines), notes, imports, time, null);
    }

    /// <summary>True for a reference to this repository's own library (a built dll or its project file).</summary>
    private static bool IsOwnLibrary(string path, out string what)
    {
        var file = Path.GetFileName(path.Replace('\\', '/'));
        var known = new[] { "PartialLoRA.dll", "PartialLoRA.Notebooks.dll", "PartialLoRA.csproj", "PartialLoRA.Notebooks.csproj" };
        if (known.Contains(file, StringComparer.OrdinalIgnoreCase))
        {
            what = "already loaded (the executor runs against the library it was built with)";
            return true;
        }
        var asmName = Path.GetFileNameWithoutExtension(file);
        if (file.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            && AppDomain.CurrentDomain.GetAssemblies().Any(a => string.Equals(a.GetName().Name, asmName, StringComparison.OrdinalIgnoreCase))
            && !File.Exists(path))
        {
            what = $"{asmName} is already loaded";
            return true;
        }
        what = "";
        return false;
    }
}
