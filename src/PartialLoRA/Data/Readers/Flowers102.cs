using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// Oxford Flowers102 (Nilsback &amp; Zisserman 2008): <c>jpg/image_NNNNN.jpg</c> (8,189 images, from
/// <c>102flowers.tgz</c>), <c>imagelabels.mat</c> (<c>labels</c>: 1…102 per image) and <c>setid.mat</c> (<c>trnid</c>,
/// <c>valid</c>, <c>tstid</c>: 1-based image numbers; 1,020 / 1,020 / 6,149). Splits: train, val, test. The dataset
/// has no official class names; the registry supplies CLIP's.
/// </summary>
public static class Flowers102
{
    public static bool Has(FileTree tree) => ReaderSupport.FindFile(tree, "setid.mat") != null;

    public static ImageSplit Read(FileTree tree, string split)
    {
        var key = split switch
        {
            "train" => "trnid",
            "val" => "valid",
            "test" => "tstid",
            _ => throw new ArgumentException($"flowers102: split '{split}' is not train, val or test"),
        };
        var labelsFile = ReaderSupport.FindFile(tree, "imagelabels.mat") ?? throw new FileNotFoundException($"{tree.Location}: imagelabels.mat not found");
        var setFile = ReaderSupport.FindFile(tree, "setid.mat") ?? throw new FileNotFoundException($"{tree.Location}: setid.mat not found");
        var all = MatFile.Integers(MatFile.Read(tree.ReadAllBytes(labelsFile), labelsFile.Describe()), "labels", labelsFile.Describe());
        var ids = MatFile.Integers(MatFile.Read(tree.ReadAllBytes(setFile), setFile.Describe()), key, setFile.Describe());
        var classes = all.Length == 0 ? 0 : all.Max();
        var images = tree.Files.Where(f => f.Name.StartsWith("image_", StringComparison.Ordinal) && f.Name.EndsWith(".jpg", StringComparison.Ordinal))
            .GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First());
        var entries = new List<FileEntry>();
        var labels = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            if (id < 1 || id > all.Length)
                throw new InvalidDataException($"{setFile.Describe()}: {key}[{i}] = {id} is not an image number 1…{all.Length}");
            if (all[id - 1] < 1) throw new InvalidDataException($"{labelsFile.Describe()}: labels[{id - 1}] = {all[id - 1]} is out of range 1…{classes}");
            var name = $"image_{id:D5}.jpg";
            entries.Add(images.TryGetValue(name, out var e) ? e
                : throw new FileNotFoundException($"{setFile.Describe()}: {key}[{i}] names jpg/{name}, which is not in {string.Join(", ", tree.Containers)}"));
            labels[i] = all[id - 1] - 1;
        }
        var names = Enumerable.Range(1, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return new FileImageSplit("flowers102", split, names, tree, entries, labels);
    }
}
