using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// Oxford-IIIT Pets (Parkhi et al. 2012), 37 breeds: <c>annotations/trainval.txt</c> (3,680) and
/// <c>annotations/test.txt</c> (3,669), lines <c>Image CLASS-ID SPECIES BREED-ID</c> ('#' starts a comment), images
/// <c>images/&lt;Image&gt;.jpg</c>. Label = CLASS-ID − 1; a class's name is its images' name without the trailing
/// <c>_number</c>, '_' as space (cats are capitalised in the file names: "Abyssinian", "american bulldog").
/// Splits: trainval, test.
/// </summary>
public static class OxfordPets
{
    public static bool Has(FileTree tree) => ReaderSupport.FindFile(tree, "trainval.txt") != null;

    public static ImageSplit Read(FileTree tree, string split)
    {
        if (split is not ("trainval" or "test")) throw new ArgumentException($"pets: split '{split}' is not trainval or test");
        var list = ReaderSupport.FindFile(tree, $"{split}.txt") ?? throw new FileNotFoundException($"{tree.Location}: annotations/{split}.txt not found");
        var images = tree.Files.Where(f => f.Folder.EndsWith("images", StringComparison.Ordinal) || f.Folder == "images")
            .Where(f => f.Name.EndsWith(".jpg", StringComparison.Ordinal)).GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First());
        // class names from trainval and test together, so both splits get the same 37 names
        var names = new SortedDictionary<int, string>();
        foreach (var file in new[] { "trainval.txt", "test.txt" })
            if (ReaderSupport.FindFile(tree, file) is { } f)
                foreach (var (id, cls, _) in Parse(tree, f))
                    names.TryAdd(cls, id[..id.LastIndexOf('_')].Replace('_', ' '));
        if (names.Count == 0 || names.Keys.First() != 1 || names.Keys.Last() != names.Count)
            throw new InvalidDataException($"{list.Describe()}: class ids are not 1…N without gaps (found {names.Count} ids from {names.Keys.FirstOrDefault()} to {names.Keys.LastOrDefault()})");
        var entries = new List<FileEntry>();
        var labels = new List<int>();
        foreach (var (id, cls, line) in Parse(tree, list))
        {
            if (!images.TryGetValue(id + ".jpg", out var img))
                throw new FileNotFoundException($"{list.Describe()} line {line}: image images/{id}.jpg not found in {string.Join(", ", tree.Containers)}");
            entries.Add(img);
            labels.Add(cls - 1);
        }
        return new FileImageSplit("pets", split, names.Values.ToList(), tree, entries, labels.ToArray());
    }

    private static IEnumerable<(string Id, int Class, int Line)> Parse(FileTree tree, FileEntry f)
    {
        var lines = ReaderSupport.Lines(ReaderSupport.Text(tree, f));
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i].Trim();
            if (l.Length == 0 || l[0] == '#') continue;
            var parts = l.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4 || !int.TryParse(parts[1], out var cls) || cls < 1 || !parts[0].Contains('_'))
                throw new InvalidDataException($"{f.Describe()} line {i + 1}: expected 'Image CLASS-ID SPECIES BREED-ID', got '{l}'");
            yield return (parts[0], cls, i + 1);
        }
    }
}
