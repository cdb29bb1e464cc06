using System.Text.RegularExpressions;

namespace PartialLoRA.Adapters;

/// <summary>
/// Which modules an adapter wraps, with HF PEFT's matching rules (<c>check_target_module_exists</c>): a list of names
/// matches a <c>named_modules</c> path that equals a name or ends with <c>"." + name</c>; a single pattern string is
/// a regular expression that must match the whole path.
/// </summary>
public sealed record TargetModules
{
    private TargetModules(IReadOnlyList<string>? names, string? pattern)
    {
        Names = names;
        Pattern = pattern;
        regex = pattern == null ? null : new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant);
    }

    private readonly Regex? regex;

    /// <summary>The names (list form), or null for the regex form.</summary>
    public IReadOnlyList<string>? Names { get; }

    /// <summary>The full-match regular expression (string form), or null for the list form.</summary>
    public string? Pattern { get; }

    public static TargetModules Of(params string[] names)
    {
        if (names.Length == 0) throw new ArgumentException("target modules: give at least one module name");
        foreach (var n in names)
            if (string.IsNullOrWhiteSpace(n)) throw new ArgumentException("target modules: a module name is empty");
        return new TargetModules(names.Distinct().ToArray(), null);
    }

    public static TargetModules Regex(string pattern)
    {
        if (string.IsNullOrEmpty(pattern)) throw new ArgumentException("target modules: the regex is empty");
        try
        {
            return new TargetModules(null, pattern);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"target modules: '{pattern}' is not a valid regular expression: {e.Message}");
        }
    }

    public bool Matches(string path)
    {
        if (regex != null) return regex.IsMatch(path);
        foreach (var n in Names!)
            if (path == n || path.EndsWith("." + n, StringComparison.Ordinal)) return true;
        return false;
    }

    public override string ToString() => Pattern ?? "[" + string.Join(", ", Names!) + "]";

    public bool Equals(TargetModules? other) =>
        other != null && Pattern == other.Pattern &&
        (Names == null ? other.Names == null : other.Names != null && Names.SequenceEqual(other.Names));

    public override int GetHashCode() => Pattern?.GetHashCode() ?? Names!.Aggregate(17, (h, n) => h * 31 + n.GetHashCode());
}
