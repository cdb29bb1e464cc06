namespace PartialLoRA.Data.Files;

/// <summary>Plain files below a folder (archives inside it are opened as their own sources by <see cref="FileTree"/>).</summary>
internal sealed class FolderSource(string folder) : IFileSource
{
    private readonly string root = Path.GetFullPath(folder);

    public string Location => root.TrimEnd('/') + "/";

    public IReadOnlyList<FileEntry> List()
    {
        var opts = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden };
        var list = new List<FileEntry>();
        foreach (var f in new DirectoryInfo(root).EnumerateFiles("*", opts))
        {
            var rel = EntryPath.Normalize(Path.GetRelativePath(root, f.FullName));
            if (rel == null || (EntryPath.IsArchive(rel) && !rel.Contains('/'))) continue;
            list.Add(new FileEntry(rel, f.Length, Location));
        }
        return list;
    }

    public byte[] Read(FileEntry entry) => File.ReadAllBytes(Path.Combine(root, entry.Path));

    public void ReadMany(IReadOnlyList<FileEntry> entries, Action<int, byte[]> consume, int parallelism, CancellationToken ct) =>
        Parallel.For(0, entries.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            i => consume(i, Read(entries[i])));

    public void Dispose() { }
}
