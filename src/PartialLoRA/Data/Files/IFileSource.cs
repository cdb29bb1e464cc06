namespace PartialLoRA.Data.Files;

/// <summary>One physical container of files: a folder, a tar (optionally gzip-compressed) or a zip archive.</summary>
internal interface IFileSource : IDisposable
{
    string Location { get; }

    /// <summary>The regular files it holds, in its own order.</summary>
    IReadOnlyList<FileEntry> List();

    byte[] Read(FileEntry entry);

    /// <summary>Reads the given entries (a subset of <see cref="List"/>), calling <paramref name="consume"/> with the
    /// position in <paramref name="entries"/> and the bytes, possibly from several threads at once.</summary>
    void ReadMany(IReadOnlyList<FileEntry> entries, Action<int, byte[]> consume, int parallelism, CancellationToken ct);
}

internal static class EntryPath
{
    /// <summary>'/'-separated, without a leading "./" or "/"; null for paths that climb out ("..") or are empty.</summary>
    public static string? Normalize(string raw)
    {
        var p = raw.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        p = p.TrimStart('/');
        if (p.Length == 0 || p.EndsWith('/')) return null;
        foreach (var seg in p.Split('/'))
            if (seg is ".." or "") return null;
        return p;
    }

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".pgm", ".pnm", ".bmp", ".gif", ".webp"];

    public static bool IsImage(string path) =>
        ImageExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    public static bool IsArchive(string path) =>
        path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);
}
