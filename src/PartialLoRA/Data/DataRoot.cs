namespace PartialLoRA.Data;

/// <summary>
/// Where datasets live: the <c>--data</c> flag, else <c>PARTIALLORA_DATA</c>, else <c>./data</c>. Each dataset
/// has its own folder below it (the registry names it, e.g. <c>cifar10/</c>, <c>glue/SST-2/</c>).
/// </summary>
public static class DataRoot
{
    public const string Variable = "PARTIALLORA_DATA";
    public const string Default = "data";

    /// <summary>The data root as an absolute path (it need not exist).</summary>
    public static string Resolve(string? flag = null) => Resolve(flag, Environment.GetEnvironmentVariable(Variable));

    /// <summary>The rule with the environment value given explicitly.</summary>
    public static string Resolve(string? flag, string? environment) =>
        Path.GetFullPath(!string.IsNullOrWhiteSpace(flag) ? flag : !string.IsNullOrWhiteSpace(environment) ? environment : Default);

    /// <summary>Which of the three rules picked the root, for messages.</summary>
    public static string Describe(string? flag = null) =>
        !string.IsNullOrWhiteSpace(flag) ? $"--data {flag}"
        : !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)) ? $"${Variable}={Environment.GetEnvironmentVariable(Variable)}"
        : $"default ./{Default} (set --data or ${Variable})";
}

/// <summary>A dataset's files are not where the reader looked: says what was expected, where, and how to get it.</summary>
public sealed class DatasetNotFoundException(string dataset, IReadOnlyList<string> expected, IReadOnlyList<string> lookedIn, string howToGet)
    : FileNotFoundException(Format(dataset, expected, lookedIn, howToGet))
{
    public string Dataset { get; } = dataset;
    public IReadOnlyList<string> Expected { get; } = expected;
    public IReadOnlyList<string> LookedIn { get; } = lookedIn;

    private static string Format(string dataset, IReadOnlyList<string> expected, IReadOnlyList<string> lookedIn, string how) =>
        $"{dataset}: files not found. Expected one of: {string.Join("; ", expected)}. Looked in: {string.Join(", ", lookedIn)}. {how}";
}
