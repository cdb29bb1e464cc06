using System.IO.Compression;

namespace PartialLoRA.Data.Files;

/// <summary>A zip archive read in place (the official GTSRB and GLUE downloads are zips).</summary>
internal sealed class ZipSource : IFileSource
{
    private readonly ZipArchive zip;
    private readonly Dictionary<string, ZipArchiveEntry> byPath = new(StringComparer.Ordinal);
    private readonly object gate = new();   // ZipArchive is not thread-safe

    public string Location { get; }

    public ZipSource(string path)
    {
        Location = Path.GetFullPath(path);
        try
        {
            zip = ZipFile.OpenRead(Location);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Location}: not a readable zip archive (truncated or corrupt): {e.Message}", e);
        }
    }

    public IReadOnlyList<FileEntry> List()
    {
        var list = new List<FileEntry>();
        foreach (var e in zip.Entries)
        {
            var p = EntryPath.Normalize(e.FullName);
            if (p == null || !byPath.TryAdd(p, e)) continue;
            list.Add(new FileEntry(p, e.Length, Location));
        }
        return list;
    }

    public byte[] Read(FileEntry entry)
    {
        lock (gate)
        {
            var e = byPath[entry.Path];
            var buf = new byte[checked((int)e.Length)];
            try
            {
                using var s = e.Open();
                s.ReadExactly(buf);
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
            {
                throw new InvalidDataException($"{entry.Describe()}: cannot read the zip entry (corrupt archive): {ex.Message}", ex);
            }
            return buf;
        }
    }

    public void ReadMany(IReadOnlyList<FileEntry> entries, Action<int, byte[]> consume, int parallelism, CancellationToken ct) =>
        Parallel.For(0, entries.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            i => consume(i, Read(entries[i])));

    public void Dispose() => zip.Dispose();
}
