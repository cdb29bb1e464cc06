using System.Reflection;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// The packages a notebook's <c>#r "nuget: Name, Version"</c> may ask for: those the project itself references.
/// The executor never downloads anything; a known package is satisfied by the project's copy (whatever its
/// version), an unknown one is an error that lists what is available.
/// </summary>
public static class PackageCatalog
{
    /// <summary>Package id → assembly that carries it.</summary>
    private static readonly (string Package, string Assembly)[] Known =
    [
        ("PartialLoRA", "PartialLoRA"),
        ("PartialLoRA.Notebooks", "PartialLoRA.Notebooks"),
        ("TorchSharp", "TorchSharp"),
        ("Microsoft.Data.Analysis", "Microsoft.Data.Analysis"),
        ("Plotly.NET", "Plotly.NET"),
        ("Plotly.NET.CSharp", "Plotly.NET.CSharp"),
        ("ScottPlot", "ScottPlot"),
        ("SkiaSharp", "SkiaSharp"),
        ("Microsoft.ML.Tokenizers", "Microsoft.ML.Tokenizers"),
        ("Apache.Arrow", "Apache.Arrow"),
        ("FSharp.Core", "FSharp.Core"),
    ];

    public sealed record Resolution(bool Ok, string Message);

    /// <summary>The available packages with the versions this build carries.</summary>
    public static IReadOnlyList<(string Package, string Version)> Available() =>
        Known.Select(k => (k.Package, Version: VersionOf(k.Assembly))).Where(k => k.Version != null).Select(k => (k.Package, k.Version!)).ToList();

    public static Resolution Resolve(string package, string? requestedVersion)
    {
        var asked = requestedVersion is { Length: > 0 } v ? $"{package}, {v}" : package;
        // Torch backend packages: the project's backend (CPU package, CUDA package or an external libtorch) is used.
        if (package.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase) || package.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase))
            return new(true, $"#r \"nuget: {asked}\": using the project's Torch backend (see 'partial-lora info')");
        if (package.Equals("Plotly.NET.Interactive", StringComparison.OrdinalIgnoreCase))
            return new(true, $"#r \"nuget: {asked}\": not needed, the executor renders Plotly.NET charts itself");
        foreach (var (p, asm) in Known)
        {
            if (!p.Equals(package, StringComparison.OrdinalIgnoreCase)) continue;
            var have = VersionOf(asm);
            if (have == null) break;
            var note = requestedVersion is { Length: > 0 } rv && !rv.Equals(have, StringComparison.OrdinalIgnoreCase)
                ? $" (the notebook asks for {rv}; the version difference is ignored)"
                : "";
            return new(true, $"#r \"nuget: {asked}\": using the project's {p} {have}{note}");
        }
        var list = string.Join(", ", Available().Select(a => $"{a.Package} {a.Version}"));
        return new(false, $"#r \"nuget: {asked}\": package '{package}' is not available; the executor does not download packages and offers only the project's own: {list}");
    }

    private static string? VersionOf(string assemblyName)
    {
        Assembly asm;
        try
        {
            asm = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assemblyName)
                  ?? Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
        var info = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (info != null)
        {
            var plus = info.IndexOf('+');
            return plus > 0 ? info[..plus] : info;
        }
        return asm.GetName().Version?.ToString(3);
    }
}
