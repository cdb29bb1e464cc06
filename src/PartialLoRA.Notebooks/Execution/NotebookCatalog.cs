namespace PartialLoRA.Notebooks.Execution;

/// <summary>The notebooks of a folder (<c>*.ipynb</c>, by file name) and how command-line names select them.</summary>
public static class NotebookCatalog
{
    public static IReadOnlyList<string> List(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"notebook folder '{Path.GetFullPath(folder)}' does not exist (run from the repository root or pass --dir)");
        return Directory.GetFiles(folder, "*.ipynb").Where(p => !Path.GetFileName(p).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The notebooks <paramref name="names"/> select, in folder order: a name matches a file name (with or without
    /// .ipynb) exactly, or else every file it is a prefix of ("03" selects "03-svd-importance.ipynb"). No names:
    /// all. A name that matches nothing is an error listing what exists.
    /// </summary>
    public static IReadOnlyList<string> Select(string folder, IReadOnlyCollection<string> names)
    {
        var all = List(folder);
        if (names.Count == 0) return all;
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in names)
        {
            var n = raw.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) ? raw[..^6] : raw;
            n = Path.GetFileName(n);
            var exact = all.Where(p => Path.GetFileNameWithoutExtension(p).Equals(n, StringComparison.Ordinal)).ToList();
            var matches = exact.Count > 0 ? exact : all.Where(p => Path.GetFileNameWithoutExtension(p).StartsWith(n, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0)
                throw new ArgumentException($"no notebook named '{raw}' in {folder} (available: {(all.Count == 0 ? "none" : string.Join(", ", all.Select(Path.GetFileNameWithoutExtension)))})");
            foreach (var m in matches) chosen.Add(m);
        }
        return all.Where(chosen.Contains).ToList();
    }
}
