using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// The image-folder layout: <c>…/&lt;split&gt;/&lt;class&gt;/&lt;image&gt;</c> (CIFAR-10 and FER2013 archives in
/// shared/data, ImageNet's <c>train/</c> and <c>val/</c> of WordNet-id folders, Kaggle's FER2013 folders). Labels come
/// from the folder names: matched loosely (case, '_', '-', spaces ignored) against the dataset's official class list
/// when there is one, so labels keep the official order; otherwise the sorted folder names are the classes.
/// </summary>
public static class ImageFolder
{
    /// <summary>The folder that holds <c>&lt;split&gt;/&lt;class&gt;/&lt;image&gt;</c> entries, shallowest first, or null.</summary>
    public static string? FindSplit(FileTree tree, string split)
    {
        string? best = null;
        var bestDepth = int.MaxValue;
        foreach (var f in tree.Files)
        {
            if (!EntryPath.IsImage(f.Path)) continue;
            var seg = f.Path.Split('/');
            if (seg.Length < 3 || seg[^3] != split) continue;
            var root = string.Join('/', seg[..^2]);
            var depth = seg.Length;
            if (depth < bestDepth) (best, bestDepth) = (root, depth);
        }
        return best;
    }

    public static ImageSplit Read(FileTree tree, string dataset, string split, IReadOnlyList<string>? officialClasses, int channels,
        string? splitFolder = null)
    {
        splitFolder ??= FindSplit(tree, split) ?? throw new FileNotFoundException(
            $"{tree.Location}: no '{split}/<class>/<image>' folders found (image-folder layout)");
        var files = tree.Under(splitFolder).Where(f => EntryPath.IsImage(f.Path)).ToList();
        var prefix = splitFolder + "/";
        var folders = files.Select(f => f.Path[prefix.Length..]).Where(p => p.Contains('/')).Select(p => p[..p.IndexOf('/')]).Distinct().Order(StringComparer.Ordinal).ToList();
        IReadOnlyList<string> classes;
        Dictionary<string, int> index;
        if (officialClasses != null)
        {
            classes = officialClasses;
            var loose = officialClasses.Select((c, i) => (ReaderSupport.Loose(c), i)).ToDictionary(t => t.Item1, t => t.i);
            index = [];
            foreach (var folder in folders)
            {
                if (!loose.TryGetValue(ReaderSupport.Loose(folder), out var i))
                    throw new InvalidDataException(
                        $"{tree.Location}!{prefix}{folder}/: folder '{folder}' is not a {dataset} class; expected one of: {string.Join(", ", officialClasses)}");
                index[folder] = i;
            }
        }
        else
        {
            classes = folders;
            index = folders.Select((f, i) => (f, i)).ToDictionary(t => t.f, t => t.i);
        }
        var entries = new List<FileEntry>();
        var labels = new List<int>();
        foreach (var f in files)
        {
            var rel = f.Path[prefix.Length..];
            var slash = rel.IndexOf('/');
            if (slash < 0) continue;   // an image directly in the split folder has no class
            entries.Add(f);
            labels.Add(index[rel[..slash]]);
        }
        if (entries.Count == 0) throw new FileNotFoundException($"{tree.Location}!{prefix}: no images in class folders");
        return new FileImageSplit(dataset, split, classes, tree, entries, labels.ToArray(), channels);
    }
}
