using System.Globalization;

namespace PartialLoRA.Experiments;

/// <summary>
/// Shard <see cref="Index"/> (0-based) of <see cref="Count"/>: takes the runs at positions index, index + N,
/// index + 2N, … of the sweep's run list (which is in a fixed order), so shards are balanced within one run.
/// Runs finished by any shard are skipped by all, since every shard reads the whole store folder.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    public const string SlurmTaskId = "SLURM_ARRAY_TASK_ID";
    public const string SlurmTaskCount = "SLURM_ARRAY_TASK_COUNT";
    public const string SlurmTaskMin = "SLURM_ARRAY_TASK_MIN";

    public bool Owns(int position) => position % Count == Index;

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Parses <c>i/N</c> with 0 ≤ i &lt; N.</summary>
    public static Shard Parse(string text, string source = "--shard")
    {
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new SpecException($"{source} '{text}': expected i/N, e.g. 0/4 for the first of four shards");
        return Create(i, n, source, text);
    }

    /// <summary>
    /// The shard of a Slurm job array task: index = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN (so
    /// <c>--array=0-3</c> and <c>--array=1-4</c> both work), count = SLURM_ARRAY_TASK_COUNT. Null outside an array job.
    /// </summary>
    public static Shard? FromSlurm(Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var id = getenv(SlurmTaskId);
        var count = getenv(SlurmTaskCount);
        if (string.IsNullOrWhiteSpace(id) && string.IsNullOrWhiteSpace(count)) return null;
        int Read(string name, string? value) =>
            int.TryParse(value?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                : throw new SpecException($"{name}='{value}': expected a whole number (set by Slurm for job arrays)");
        var i = Read(SlurmTaskId, id);
        var n = Read(SlurmTaskCount, count);
        var min = getenv(SlurmTaskMin) is { Length: > 0 } m ? Read(SlurmTaskMin, m) : 0;
        return Create(i - min, n, $"{SlurmTaskId}/{SlurmTaskCount}", $"{id}/{count}");
    }

    /// <summary>The --shard flag when given, else Slurm's variables, else none.</summary>
    public static Shard? Resolve(string? flag, Func<string, string?>? getenv = null) =>
        flag is not null ? Parse(flag) : FromSlurm(getenv);

    private static Shard Create(int i, int n, string source, string text)
    {
        if (n < 1) throw new SpecException($"{source} '{text}': the shard count must be ≥ 1");
        if (i < 0 || i >= n) throw new SpecException($"{source} '{text}': the shard index must be in 0..{n - 1}");
        return new Shard(i, n);
    }
}
