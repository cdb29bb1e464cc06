using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Readers;

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017): IDX files <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each optionally <c>.gz</c>: 60,000 train and
/// 10,000 test 28×28 gray images, 10 classes. Debian's <c>dataset-fashion-mnist</c> installs them in
/// <c>/usr/share/datasets/fashion-mnist</c>.
/// </summary>
public static class FashionMnist
{
    public static readonly string[] Classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static string[] FilesFor(string split)
    {
        var prefix = split switch
        {
            "train" => "train",
            "test" => "t10k",
            _ => throw new ArgumentException($"fashion-mnist: split '{split}' is not train or test"),
        };
        return [$"{prefix}-images-idx3-ubyte", $"{prefix}-labels-idx1-ubyte"];
    }

    public static bool Has(FileTree tree) => FilesFor("train").All(f => Find(tree, f) != null);

    private static FileEntry? Find(FileTree tree, string name) => ReaderSupport.FindFirst(tree, name + ".gz", name);

    public static ImageSplit Read(FileTree tree, string split)
    {
        var names = FilesFor(split);
        var imgEntry = Find(tree, names[0]) ?? throw new FileNotFoundException($"{tree.Location}: {names[0]}[.gz] not found");
        var lblEntry = Find(tree, names[1]) ?? throw new FileNotFoundException($"{tree.Location}: {names[1]}[.gz] not found");
        var images = IdxFile.Read(tree.ReadAllBytes(imgEntry), imgEntry.Describe());
        var labels = IdxFile.Read(tree.ReadAllBytes(lblEntry), lblEntry.Describe());
        if (images.TypeCode != 0x08 || images.Dims.Length != 3)
            throw new InvalidDataException($"{imgEntry.Describe()}: expected uint8 images N×H×W, got type 0x{images.TypeCode:X2} with {images.Dims.Length} dimensions");
        if (labels.TypeCode != 0x08 || labels.Dims.Length != 1)
            throw new InvalidDataException($"{lblEntry.Describe()}: expected uint8 labels N, got type 0x{labels.TypeCode:X2} with {labels.Dims.Length} dimensions");
        if (images.Dims[0] != labels.Dims[0])
            throw new InvalidDataException($"{imgEntry.Describe()} has {images.Dims[0]} images but {lblEntry.Describe()} has {labels.Dims[0]} labels");
        var y = new int[labels.Dims[0]];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = labels.Bytes![i];
            if (y[i] >= Classes.Length)
                throw new InvalidDataException($"{lblEntry.Describe()}: label {y[i]} at index {i} is out of range for {Classes.Length} classes");
        }
        return new ArrayImageSplit("fashion-mnist", split, Classes, images.Bytes!, images.Dims[1], images.Dims[2], 1, y,
            i => $"{imgEntry.Describe()} image {i}");
    }
}
