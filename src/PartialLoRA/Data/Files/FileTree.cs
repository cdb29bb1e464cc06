using System.Runtime.ExceptionServices;

namespace PartialLoRA.Data.Files;

/// <summary>
/// The files of one dataset as a single tree, wherever they physically are: a folder's plain files plus the
/// contents of the archives (<c>.tar.gz</c>, <c>.tgz</c>, <c>.tar</c>, <c>.zip</c>) lying directly in it, read in
/// place without extracting. So <c>pets/images.tar.gz</c> + <c>pets/annotations.tar.gz</c> and an extracted
/// <c>pets/images/</c> + <c>pets/annotations/</c> look the same to a reader. When a path exists twice (an archive
/// and its extracted copy), the plain file wins. A tree can also be opened on a single archive.
/// </summary>
public sealed class FileTree : IDisposable
{
    private readonly List<IFileSource> sources = [];
    private readonly Dictionary<string, (FileEntry Entry, IFileSource Source)> byPath = new(StringComparer.Ordinal);

    /// <summary>The folder or archive the tree was opened on.</summary>
    public string Location { get; }

    /// <summary>Every file, sorted by path (ordinal), so listings are the same on every machine.</summary>
    public IReadOnlyList<FileEntry> Files { get; }

    private FileTree(string location, IEnumerable<IFileSource> parts)
    {
        Location = location;
        foreach (var s in parts)
        {
            sources.Add(s);
            foreach (var e in s.List()) byPath.TryAdd(e.Path, (e, s));
        }
        Files = byPath.Values.Select(v => v.Entry).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>Opens a folder (its files and the archives directly in it) or a single archive.</summary>
    public static FileTree Open(string folderOrArchive)
    {
        var full = Path.GetFullPath(folderOrArchive);
        if (File.Exists(full))
        {
            if (!EntryPath.IsArchive(full)) throw new ArgumentException($"{full}: not a folder or a .tar.gz/.tgz/.tar/.zip archive");
            return new FileTree(full, [OpenArchive(full)]);
        }
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"{full}: no such folder");
        var parts = new List<IFileSource> { new FolderSource(full) };
        try
        {
            foreach (var a in Directory.EnumerateFiles(full).Where(EntryPath.IsArchive).Order(StringComparer.Ordinal))
                parts.Add(OpenArchive(a));
            return new FileTree(full, parts);
        }
        catch
        {
            foreach (var p in parts) p.Dispose();
            throw;
        }
    }

    private static IFileSource OpenArchive(string path) =>
        path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? new ZipSource(path) : new TarSource(path);

    /// <summary>The archives and folder this tree reads, for messages.</summary>
    public IReadOnlyList<string> Containers => sources.Select(s => s.Location).ToList();

    public bool Contains(string path) => byPath.ContainsKey(path);

    public FileEntry? Find(string path) => byPath.TryGetValue(path, out var v) ? v.Entry : null;

    /// <summary>Files named exactly <paramref name="fileName"/>, anywhere in the tree, shallowest first.</summary>
    public IReadOnlyList<FileEntry> FindByName(string fileName) =>
        Files.Where(f => f.Name == fileName).OrderBy(f => f.Path.Count(c => c == '/')).ThenBy(f => f.Path, StringComparer.Ordinal).ToList();

    /// <summary>Files below <paramref name="folder"/> ("" for all), in path order.</summary>
    public IEnumerable<FileEntry> Under(string folder)
    {
        if (folder.Length == 0) return Files;
        var prefix = folder.TrimEnd('/') + "/";
        return Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal));
    }

    public byte[] ReadAllBytes(string path)
    {
        if (!byPath.TryGetValue(path, out var v)) throw new FileNotFoundException($"{Location}: no file '{path}'");
        return v.Source.Read(v.Entry);
    }

    public byte[] ReadAllBytes(FileEntry entry) => ReadAllBytes(entry.Path);

    /// <summary>
    /// Reads many files, calling <paramref name="consume"/>(position in <paramref name="entries"/>, bytes) from up to
    /// <paramref name="parallelism"/> threads at once; archives are streamed once each. The first exception thrown by
    /// <paramref name="consume"/> stops the work and is rethrown as is.
    /// </summary>
    public void ReadMany(IReadOnlyList<FileEntry> entries, Action<int, byte[]> consume, int parallelism = 0, CancellationToken ct = default)
    {
        if (parallelism <= 0) parallelism = Environment.ProcessorCount;
        var groups = new Dictionary<IFileSource, (List<FileEntry> Entries, List<int> Slots)>();
        for (int i = 0; i < entries.Count; i++)
        {
            if (!byPath.TryGetValue(entries[i].Path, out var v)) throw new FileNotFoundException($"{Location}: no file '{entries[i].Path}'");
            if (!groups.TryGetValue(v.Source, out var g)) groups[v.Source] = g = ([], []);
            g.Entries.Add(v.Entry);
            g.Slots.Add(i);
        }
        try
        {
            foreach (var (source, (list, slots)) in groups)
                source.ReadMany(list, (j, bytes) => consume(slots[j], bytes), parallelism, ct);
        }
        catch (AggregateException ae) when (ae.Flatten().InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(ae.Flatten().InnerExceptions[0]).Throw();
        }
    }

    public void Dispose()
    {
        foreach (var s in sources) s.Dispose();
    }
}
