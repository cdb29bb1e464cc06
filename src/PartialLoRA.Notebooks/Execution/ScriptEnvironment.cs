using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// The compilation environment every notebook cell gets: references to the whole application (the .NET
/// framework, the PartialLoRA library, TorchSharp, Microsoft.Data.Analysis, Plotly.NET, ScottPlot, this assembly
/// and their dependencies — exactly what the CLI was built with) and a set of default imports.
/// </summary>
public static class ScriptEnvironment
{
    /// <summary>Namespaces every cell starts with (the library's own namespaces are added as found).</summary>
    public static readonly IReadOnlyList<string> BaseImports =
    [
        "System", "System.Collections.Generic", "System.Globalization", "System.IO", "System.Linq", "System.Text",
        "System.Threading", "System.Threading.Tasks",
        "Microsoft.Data.Analysis", "TorchSharp",
        "PartialLoRA.Notebooks", "PartialLoRA.Notebooks.Execution", "PartialLoRA.Notebooks.Figures", "PartialLoRA.Notebooks.Rendering",
    ];

    private static readonly Lazy<ScriptOptions> options = new(Build);

    public static ScriptOptions Options => options.Value;

    private static ScriptOptions Build()
    {
        // Make sure the assemblies notebooks use are loaded (and therefore on the reference list even if this process
        // has not touched them yet).
        Assembly[] anchors =
        [
            typeof(AtomicFile).Assembly, typeof(ScriptEnvironment).Assembly, typeof(TorchSharp.torch).Assembly,
            typeof(Microsoft.Data.Analysis.DataFrame).Assembly, typeof(Plotly.NET.GenericChart).Assembly,
            typeof(Plotly.NET.CSharp.Chart).Assembly, typeof(ScottPlot.Plot).Assembly, typeof(SkiaSharp.SKBitmap).Assembly,
        ];
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        // The trusted platform assemblies are the framework plus every dependency of the application.
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            foreach (var p in tpa.Split(Path.PathSeparator))
                if (p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) paths.Add(p);
        foreach (var a in anchors) paths.Add(a.Location);

        var libraryNamespaces = typeof(AtomicFile).Assembly.GetExportedTypes()
            .Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("PartialLoRA", StringComparison.Ordinal)).Distinct();

        return ScriptOptions.Default
            .WithReferences(paths.Select(p => MetadataReference.CreateFromFile(p)))
            .WithImports(BaseImports.Concat(libraryNamespaces).Distinct().Order(StringComparer.Ordinal))
            // Debug: stack traces of a failing cell then point at the exact line.
            .WithEmitDebugInformation(true)
            .WithFileEncoding(System.Text.Encoding.UTF8)
            .WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest)
            .WithAllowUnsafe(true)
            .WithCheckOverflow(false)
            .WithOptimizationLevel(OptimizationLevel.Debug);
    }

    /// <summary>Options for one cell: its name in diagnostics and stack traces, and the folder #r/#load resolve against.</summary>
    internal static ScriptOptions ForCell(string filePath, string baseDirectory) =>
        Options.WithFilePath(filePath)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory).WithSearchPaths(baseDirectory))
            .WithSourceResolver(new SourceFileResolver([baseDirectory], baseDirectory));
}
