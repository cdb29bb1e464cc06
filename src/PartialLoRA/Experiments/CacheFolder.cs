namespace PartialLoRA.Experiments;

/// <summary>
/// Where derived artefacts are cached (sparsity plans from Algorithm 1, checkpoint hashes): the <c>--cache</c>
/// flag &gt; <c>PARTIALLORA_CACHE</c> &gt; <c>$XDG_CACHE_HOME/partial-lora</c> &gt; <c>~/.cache/partial-lora</c>.
/// </summary>
public static class CacheFolder
{
    public const string Variable = "PARTIALLORA_CACHE";

    public static string Resolve(string? flag = null, Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(flag)) return Path.GetFullPath(flag);
        if (getenv(Variable) is { Length: > 0 } v) return Path.GetFullPath(v);
        if (getenv("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "partial-lora");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "partial-lora");
    }
}
