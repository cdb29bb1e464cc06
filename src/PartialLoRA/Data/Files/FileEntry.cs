namespace PartialLoRA.Data.Files;

/// <summary>A file in a <see cref="FileTree"/>: its '/'-separated path relative to the tree, its size, and where it
/// physically lives (a folder or an archive), for messages.</summary>
public sealed record FileEntry(string Path, long Size, string Container)
{
    /// <summary>The file name (last path segment).</summary>
    public string Name => Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>The folder part of the path ("" at the top).</summary>
    public string Folder => Path.LastIndexOf('/') is var i and >= 0 ? Path[..i] : "";

    /// <summary>How messages name it: the file path for a folder, <c>archive!entry</c> for an archive member.</summary>
    public string Describe() => Container.EndsWith('/') ? Container + Path : $"{Container}!{Path}";
}
