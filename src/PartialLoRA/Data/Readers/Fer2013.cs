using System.Globalization;
using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// FER2013 (Goodfellow et al. 2013), 48×48 gray faces, 7 emotions in the official label order
/// (0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise, 6 Neutral). Two layouts:
/// <list type="bullet">
/// <item>Kaggle's <c>fer2013.csv</c>: columns <c>emotion</c>, <c>pixels</c> (2,304 space-separated values) and
/// <c>Usage</c> (also <c>icml_face_data.csv</c>, whose header has spaces). Splits by Usage: train = Training (28,709),
/// val = PublicTest (3,589), test = PrivateTest (3,589).</item>
/// <item>The image-folder layout <c>train/&lt;emotion&gt;/*.jpg</c>, <c>test/&lt;emotion&gt;/*.jpg</c>, whose alphabetical
/// folder order is mapped back to the official labels by name.</item>
/// </list>
/// </summary>
public static class Fer2013
{
    public static readonly string[] Classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];

    public static FileEntry? FindCsv(FileTree tree) => ReaderSupport.FindFirst(tree, "fer2013.csv", "icml_face_data.csv");

    public static ImageSplit Read(FileTree tree, string split)
    {
        if (FindCsv(tree) is { } csv) return ReadCsv(tree, csv, split);
        if (split == "val") throw new FileNotFoundException($"fer2013: the image-folder layout in {tree.Location} has no val (PublicTest) split; fer2013.csv has one");
        if (split is not ("train" or "test")) throw new ArgumentException($"fer2013: split '{split}' is not train, val or test");
        return ImageFolder.Read(tree, "fer2013", split, Classes, channels: 1);
    }

    private static ImageSplit ReadCsv(FileTree tree, FileEntry csv, string split)
    {
        var usage = split switch
        {
            "train" => "Training",
            "val" => "PublicTest",
            "test" => "PrivateTest",
            _ => throw new ArgumentException($"fer2013: split '{split}' is not train, val or test"),
        };
        var lines = ReaderSupport.Lines(ReaderSupport.Text(tree, csv));
        if (lines.Length == 0) throw new InvalidDataException($"{csv.Describe()}: empty file");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        int ie = header.IndexOf("emotion"), ip = header.IndexOf("pixels"), iu = header.IndexOf("Usage");
        if (ie < 0 || ip < 0 || iu < 0)
            throw new InvalidDataException($"{csv.Describe()}: header '{lines[0]}' lacks one of the columns emotion, pixels, Usage");
        const int size = 48 * 48;
        var px = new List<byte[]>();
        var labels = new List<int>();
        var rows = new List<int>();
        for (int li = 1; li < lines.Length; li++)
        {
            if (lines[li].Length == 0) continue;
            var f = lines[li].Split(',');
            if (f.Length != header.Count)
                throw new InvalidDataException($"{csv.Describe()} line {li + 1}: {f.Length} columns, expected {header.Count}");
            if (f[iu].Trim() != usage) continue;
            if (!int.TryParse(f[ie], NumberStyles.Integer, CultureInfo.InvariantCulture, out var label) || (uint)label >= Classes.Length)
                throw new InvalidDataException($"{csv.Describe()} line {li + 1}: emotion '{f[ie]}' is not a label 0…{Classes.Length - 1}");
            var values = f[ip].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (values.Length != size)
                throw new InvalidDataException($"{csv.Describe()} line {li + 1}: {values.Length} pixel values, expected {size} (48x48)");
            var img = new byte[size];
            for (int k = 0; k < size; k++)
                img[k] = byte.TryParse(values[k], NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b
                    : throw new InvalidDataException($"{csv.Describe()} line {li + 1}: pixel {k} = '{values[k]}' is not 0…255");
            px.Add(img);
            labels.Add(label);
            rows.Add(li + 1);
        }
        var all = new byte[(long)px.Count * size];
        for (int i = 0; i < px.Count; i++) px[i].CopyTo(all, (long)i * size);
        return new ArrayImageSplit("fer2013", split, Classes, all, 48, 48, 1, labels.ToArray(), i => $"{csv.Describe()} line {rows[i]}");
    }
}
