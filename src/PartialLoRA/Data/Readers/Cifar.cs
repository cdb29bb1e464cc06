using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// CIFAR-10 and CIFAR-100, "binary version" (the one for C programs): fixed records of label byte(s) then 3072
/// pixel bytes, 1024 per channel R, G, B, rows top to bottom. CIFAR-10: <c>data_batch_1…5.bin</c> (train),
/// <c>test_batch.bin</c>, one label byte, names in <c>batches.meta.txt</c>. CIFAR-100: <c>train.bin</c>,
/// <c>test.bin</c>, two label bytes (coarse, fine; the fine label is used), names in <c>fine_label_names.txt</c>.
/// Read from <c>cifar-10-binary.tar.gz</c> / <c>cifar-100-binary.tar.gz</c> or their extracted folders.
/// </summary>
public static class Cifar
{
    public static readonly string[] Cifar10Classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public static bool HasBinary10(FileTree tree) => tree.FindByName("data_batch_1.bin").Count > 0;
    public static bool HasBinary100(FileTree tree) => tree.FindByName("train.bin").Count > 0 && tree.FindByName("fine_label_names.txt").Count > 0;

    /// <summary>CIFAR-10, split "train" (50,000) or "test" (10,000).</summary>
    public static ImageSplit Read10(FileTree tree, string split)
    {
        var files = split switch
        {
            "train" => Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray(),
            "test" => ["test_batch.bin"],
            _ => throw new ArgumentException($"cifar10: split '{split}' is not train or test"),
        };
        var names = ReaderSupport.FindFile(tree, "batches.meta.txt") is { } meta
            ? ReaderSupport.Lines(ReaderSupport.Text(tree, meta)).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
            : Cifar10Classes;
        return Read(tree, "cifar10", split, files, labelBytes: 1, names);
    }

    /// <summary>CIFAR-100 with fine labels, split "train" (50,000) or "test" (10,000).</summary>
    public static ImageSplit Read100(FileTree tree, string split)
    {
        var file = split switch
        {
            "train" => "train.bin",
            "test" => "test.bin",
            _ => throw new ArgumentException($"cifar100: split '{split}' is not train or test"),
        };
        var meta = ReaderSupport.FindFile(tree, "fine_label_names.txt")
                   ?? throw new FileNotFoundException($"{tree.Location}: fine_label_names.txt not found (part of cifar-100-binary.tar.gz)");
        var names = ReaderSupport.Lines(ReaderSupport.Text(tree, meta)).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return Read(tree, "cifar100", split, [file], labelBytes: 2, names);
    }

    private static ImageSplit Read(FileTree tree, string dataset, string split, string[] files, int labelBytes, string[] names)
    {
        const int pixels = 3 * 32 * 32;
        var record = labelBytes + pixels;
        var entries = files.Select(f => ReaderSupport.FindFile(tree, f)
            ?? throw new FileNotFoundException($"{tree.Location}: {f} not found (CIFAR binary version)")).ToArray();
        var chunks = new byte[entries.Length][];
        tree.ReadMany(entries, (i, b) => chunks[i] = b);
        var total = 0;
        for (int f = 0; f < entries.Length; f++)
        {
            if (chunks[f].Length == 0 || chunks[f].Length % record != 0)
                throw new InvalidDataException($"{entries[f].Describe()}: {chunks[f].Length} bytes is not a whole number of {record}-byte CIFAR records (truncated or not the binary version)");
            total += chunks[f].Length / record;
        }
        var px = new byte[(long)total * pixels];
        var labels = new int[total];
        var source = new (int File, int Record)[total];
        int n = 0;
        for (int f = 0; f < entries.Length; f++)
            for (int r = 0; r < chunks[f].Length / record; r++, n++)
            {
                var rec = chunks[f].AsSpan(r * record, record);
                labels[n] = rec[labelBytes - 1];
                if (labels[n] >= names.Length)
                    throw new InvalidDataException($"{entries[f].Describe()}: record {r} has label {labels[n]}, out of range for {names.Length} classes");
                rec[labelBytes..].CopyTo(px.AsSpan(n * pixels, pixels));
                source[n] = (f, r);
            }
        return new ArrayImageSplit(dataset, split, names, px, 32, 32, 3, labels,
            i => $"{entries[source[i].File].Describe()} record {source[i].Record}");
    }
}
