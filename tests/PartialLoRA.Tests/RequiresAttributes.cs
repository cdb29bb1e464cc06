using System.Reflection;

namespace PartialLoRA.Tests;

/// <summary>
/// A fact that is skipped, with the reason shown in the test output, when a precondition does not hold
/// (real data or a fixture file absent). <c>condition</c> names a static string property of <c>type</c>
/// that returns null when the test can run, or the reason it cannot.
/// </summary>
public sealed class RequiresFactAttribute : FactAttribute
{
    public RequiresFactAttribute(Type type, string condition)
    {
        if (Requires.Reason(type, condition) is { } why) Skip = why;
    }
}

/// <summary>The theory form of <see cref="RequiresFactAttribute"/>.</summary>
public sealed class RequiresTheoryAttribute : TheoryAttribute
{
    public RequiresTheoryAttribute(Type type, string condition)
    {
        if (Requires.Reason(type, condition) is { } why) Skip = why;
    }
}

internal static class Requires
{
    public static string? Reason(Type type, string condition)
    {
        var p = type.GetProperty(condition, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                ?? throw new ArgumentException($"{type.Name}.{condition}: no static property with that name");
        return (string?)p.GetValue(null);
    }
}
