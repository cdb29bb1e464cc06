using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// FGVC-Aircraft 2013b (Maji et al. 2013) at the variant level, 100 classes: <c>data/variants.txt</c> (class order),
/// <c>data/images_variant_{train,val,test}.txt</c> (lines <c>image-id variant name</c>; 3,334 / 3,333 / 3,333) and
/// <c>data/images/&lt;id&gt;.jpg</c>, from <c>fgvc-aircraft-2013b.tar.gz</c> or its folder. The images keep their
/// 20-pixel copyright banner, as torchvision and CLIP's evaluation do. Splits: train, val, trainval, test.
/// </summary>
public static class FgvcAircraft
{
    public static bool Has(FileTree tree) => ReaderSupport.FindFile(tree, "variants.txt") != null;

    public static ImageSplit Read(FileTree tree, string split)
    {
        var parts = split switch
        {
            "train" or "val" or "test" => new[] { split },
            "trainval" => ["train", "val"],
            _ => throw new ArgumentException($"fgvc-aircraft: split '{split}' is not train, val, trainval or test"),
        };
        var variantsFile = ReaderSupport.FindFile(tree, "variants.txt") ?? throw new FileNotFoundException($"{tree.Location}: data/variants.txt not found");
        var variants = ReaderSupport.Lines(ReaderSupport.Text(tree, variantsFile)).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var index = variants.Select((v, i) => (v, i)).ToDictionary(t => t.v, t => t.i, StringComparer.Ordinal);
        var images = tree.Files.Where(f => f.Folder.EndsWith("images", StringComparison.Ordinal) && f.Name.EndsWith(".jpg", StringComparison.Ordinal))
            .GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First());
        var entries = new List<FileEntry>();
        var labels = new List<int>();
        foreach (var part in parts)
        {
            var list = ReaderSupport.FindFile(tree, $"images_variant_{part}.txt") ?? throw new FileNotFoundException($"{tree.Location}: data/images_variant_{part}.txt not found");
            var lines = ReaderSupport.Lines(ReaderSupport.Text(tree, list));
            for (int i = 0; i < lines.Length; i++)
            {
                var l = lines[i].Trim();
                if (l.Length == 0) continue;
                var sp = l.IndexOf(' ');
                if (sp <= 0) throw new InvalidDataException($"{list.Describe()} line {i + 1}: expected 'image-id variant', got '{l}'");
                var (id, variant) = (l[..sp], l[(sp + 1)..]);
                if (!index.TryGetValue(variant, out var label))
                    throw new InvalidDataException($"{list.Describe()} line {i + 1}: variant '{variant}' is not in {variantsFile.Describe()}");
                entries.Add(images.TryGetValue(id + ".jpg", out var e) ? e
                    : throw new FileNotFoundException($"{list.Describe()} line {i + 1}: image data/images/{id}.jpg not found"));
                labels.Add(label);
            }
        }
        return new FileImageSplit("fgvc-aircraft", split, variants, tree, entries, labels.ToArray());
    }
}
