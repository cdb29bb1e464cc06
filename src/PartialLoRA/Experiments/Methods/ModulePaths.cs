namespace PartialLoRA.Experiments.Methods;

/// <summary>Dotted named_modules / named_parameters paths.</summary>
public static class ModulePaths
{
    /// <summary>Whether <paramref name="path"/> is one of <paramref name="modules"/> or lies inside one.</summary>
    public static bool IsUnder(string path, IEnumerable<string> modules) =>
        modules.Any(m => path == m || path.StartsWith(m + ".", StringComparison.Ordinal));
}
