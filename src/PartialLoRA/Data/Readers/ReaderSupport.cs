using PartialLoRA.Data.Files;

namespace PartialLoRA.Data.Readers;

/// <summary>Shared helpers for the readers: finding files by name and text parsing with positions in messages.</summary>
internal static class ReaderSupport
{
    /// <summary>The file named <paramref name="name"/> (the shallowest if several), or null.</summary>
    public static FileEntry? FindFile(FileTree tree, string name) => tree.FindByName(name).FirstOrDefault();

    /// <summary>The first of <paramref name="names"/> that exists.</summary>
    public static FileEntry? FindFirst(FileTree tree, params string[] names) => names.Select(n => FindFile(tree, n)).FirstOrDefault(f => f != null);

    public static string Text(FileTree tree, FileEntry f)
    {
        var s = System.Text.Encoding.UTF8.GetString(tree.ReadAllBytes(f));
        return s.Length > 0 && s[0] == '\uFEFF' ? s[1..] : s;
    }

    /// <summary>Lines without their terminators (LF or CRLF); a final empty line is dropped.</summary>
    public static string[] Lines(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++) lines[i] = lines[i].TrimEnd('\r');
        return lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    /// <summary>Folder names compared loosely: case, '_' / '-' / spaces ignored ("aquarium_fish" = "Aquarium Fish").</summary>
    public static string Loose(string name) =>
        new string(name.Where(c => c is not ('_' or '-' or ' ')).ToArray()).ToLowerInvariant();
}
