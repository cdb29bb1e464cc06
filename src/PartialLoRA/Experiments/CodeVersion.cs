using System.Reflection;

namespace PartialLoRA.Experiments;

/// <summary>
/// The version of the code that produced a result, part of every run's key: the git commit the library was
/// built from (the SDK appends it to the informational version, "1.0.0+&lt;sha&gt;"), or the informational version
/// itself when the build had no git metadata. Uncommitted edits do not change it.
/// </summary>
public static class CodeVersion
{
    public static string Current { get; } = FromInformationalVersion(
        typeof(CodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    public static string FromInformationalVersion(string? informational)
    {
        if (string.IsNullOrWhiteSpace(informational)) return "unknown";
        var plus = informational.IndexOf('+');
        return plus >= 0 && plus < informational.Length - 1 ? informational[(plus + 1)..] : informational;
    }
}
