namespace PartialLoRA.Tests.Notebooks;

/// <summary>The repository's notebooks folder, found from the test output folder upwards.</summary>
internal static class NotebookFiles
{
    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "PartialLoRA.Notebooks.sln"))) return d.FullName;
            throw new DirectoryNotFoundException($"no PartialLoRA.Notebooks.sln above {AppContext.BaseDirectory}");
        }
    }

    public static string NotebooksDir => Path.Combine(RepoRoot, "notebooks");

    /// <summary>Writes a C# notebook made of the given code cells (each preceded by a markdown cell) into <paramref name="dir"/>.</summary>
    public static string Write(string dir, string name, params string[] codeCells)
    {
        var path = Path.Combine(dir, name + ".ipynb");
        Builder(name, codeCells).Save(path);
        return path;
    }

    /// <summary>The notebook <see cref="Write"/> would write, in memory.</summary>
    public static PartialLoRA.Notebooks.Notebook Build(string name, params string[] codeCells) => Builder(name, codeCells).Build();

    private static PartialLoRA.Notebooks.Authoring.NotebookBuilder Builder(string name, string[] codeCells)
    {
        var b = new PartialLoRA.Notebooks.Authoring.NotebookBuilder(name).Markdown($"# {name}");
        foreach (var c in codeCells) b.Markdown("Next cell.").Code(c);
        return b;
    }
}
