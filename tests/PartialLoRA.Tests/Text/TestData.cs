namespace PartialLoRA.Tests.Text;

/// <summary>
/// The data root the tests read real vocabularies from: <c>PARTIALLORA_DATA</c> (relative paths are taken from the
/// repository root, as the README's test command sets it) or the repository's <c>data/</c> folder.
/// </summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("PARTIALLORA_DATA");
            if (string.IsNullOrEmpty(env)) return Path.Combine(RepoRoot, "data");
            return Path.IsPathRooted(env) ? env : Path.GetFullPath(Path.Combine(RepoRoot, env));
        }
    }

    public static string ClipVocab => Path.Combine(Root, "clip", "bpe_simple_vocab_16e6.txt.gz");
    public static string ClipPrompts => Path.Combine(Root, "clip", "prompts.md");
    public static string BertVocab => Path.Combine(Root, "bert-vocab", "vocab.txt");

    /// <summary>Null when the file exists, else the skip reason.</summary>
    public static string? Missing(string path) =>
        File.Exists(path) ? null : $"needs {path} (set PARTIALLORA_DATA to the data root, e.g. ../shared/data)";

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PartialLoRA.Notebooks.sln"))) return d.FullName;
        throw new InvalidOperationException("tests: repository root (PartialLoRA.Notebooks.sln) not found above " + AppContext.BaseDirectory);
    }
}
