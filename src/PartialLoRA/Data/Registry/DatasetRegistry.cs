using System.Collections.Concurrent;
using PartialLoRA.Data.Files;
using PartialLoRA.Data.Glue;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Readers;
using PartialLoRA.Text;

namespace PartialLoRA.Data.Registry;

/// <summary>
/// The datasets of the paper (§5: Pets, CIFAR-10, CIFAR-100, Flowers102, FER2013, GTSRB, FGVC-Aircraft,
/// ImageNet-1k; GLUE SST-2, QNLI, MRPC, CoLA) and Fashion-MNIST, by name: where their files live under the data root,
/// their readers, splits, class names (CLIP's where CLIP has them), task, metric and download locations.
/// </summary>
public static class DatasetRegistry
{
    private const string Toronto = "https://www.cs.toronto.edu/~kriz/";
    private const string Vgg = "https://www.robots.ox.ac.uk/~vgg/data/";
    private const string Erda = "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/";
    private const string FashionBase = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    private const string GlueBase = "https://dl.fbaipublicfiles.com/glue/data/";

    public static readonly IReadOnlyList<DatasetInfo> All =
    [
        new()
        {
            Name = "cifar10", Title = "CIFAR-10", Folders = ["cifar10", "cifar-10"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 10, PoolSplits = ["train"], TestSplit = "test", Splits = ["train", "test"], PaperShots = 16,
            ClipSet = "CIFAR10", ClipOrder = ClipNameOrder.ByName,
            Layouts = ["cifar-10-binary.tar.gz or cifar-10-batches-bin/data_batch_{1..5}.bin + test_batch.bin", "train/<class>/*.jpg + test/<class>/*.jpg (folders or a .tar.gz, e.g. cifar10-images.tar.gz)"],
            Downloads = [new(Toronto + "cifar-10-binary.tar.gz", "cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530")],
            Present = t => Cifar.HasBinary10(t) || ImageFolder.FindSplit(t, "train") != null,
            ReadImages = (t, s) => Cifar.HasBinary10(t) ? Cifar.Read10(t, s) : ImageFolder.Read(t, "cifar10", s, Cifar.Cifar10Classes, 3),
        },
        new()
        {
            Name = "cifar100", Title = "CIFAR-100", Folders = ["cifar100", "cifar-100"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 100, PoolSplits = ["train"], TestSplit = "test", Splits = ["train", "test"], PaperShots = 16,
            ClipSet = "CIFAR100", ClipOrder = ClipNameOrder.ByName,
            Layouts = ["cifar-100-binary.tar.gz or cifar-100-binary/train.bin + test.bin + fine_label_names.txt"],
            Downloads = [new(Toronto + "cifar-100-binary.tar.gz", "cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8")],
            Present = Cifar.HasBinary100,
            ReadImages = Cifar.Read100,
        },
        new()
        {
            Name = "pets", Title = "Oxford-IIIT Pets", Folders = ["pets", "oxford-iiit-pet"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 37, PoolSplits = ["trainval"], TestSplit = "test", Splits = ["trainval", "test"], PaperShots = 16,
            ClipSet = "OxfordPets", ClipOrder = ClipNameOrder.ByName,
            Layouts = ["images.tar.gz + annotations.tar.gz, or images/*.jpg + annotations/trainval.txt, test.txt"],
            Downloads = [new(Vgg + "pets/data/images.tar.gz", "images.tar.gz", "5c4f3ee8e5d25df40f4fd59a7f44e54c"),
                         new(Vgg + "pets/data/annotations.tar.gz", "annotations.tar.gz", "95a8c909bbe2e81eed6a22bccdf3f68f")],
            Present = OxfordPets.Has,
            ReadImages = OxfordPets.Read,
        },
        new()
        {
            Name = "flowers102", Title = "Oxford Flowers102", Folders = ["flowers102", "flowers-102"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 102, PoolSplits = ["train", "val"], TestSplit = "test", Splits = ["train", "val", "test"], PaperShots = 6,
            ClipSet = "Flowers102",
            Layouts = ["102flowers.tgz (or jpg/image_NNNNN.jpg) + imagelabels.mat + setid.mat"],
            Downloads = [new(Vgg + "flowers/102/102flowers.tgz", "102flowers.tgz", "52808999861908f626f3c1f4e79d11fa"),
                         new(Vgg + "flowers/102/imagelabels.mat", "imagelabels.mat", "e0620be6f572b9609742df49c70aed4d"),
                         new(Vgg + "flowers/102/setid.mat", "setid.mat", "a5357ecc9cb78c4bef273ce3793fc85c")],
            Present = Flowers102.Has,
            ReadImages = Flowers102.Read,
        },
        new()
        {
            Name = "fer2013", Title = "FER2013", Folders = ["fer2013"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 7, PoolSplits = ["train"], TestSplit = "test", Splits = ["train", "val", "test"], PaperShots = 16, Channels = 1,
            ClipSet = "FacialEmotionRecognition2013",
            Layouts = ["fer2013.csv (emotion, pixels, Usage; or icml_face_data.csv), in a folder or a .tar.gz", "train/<emotion>/*.jpg + test/<emotion>/*.jpg (folders or a .tar.gz, e.g. fer2013-images-subset.tar.gz)"],
            Manual = "FER2013 needs a Kaggle login: download fer2013.csv from https://www.kaggle.com/c/challenges-in-representation-learning-facial-expression-recognition-challenge/data and put it in the folder",
            Present = t => Fer2013.FindCsv(t) != null || ImageFolder.FindSplit(t, "train") != null,
            ReadImages = Fer2013.Read,
        },
        new()
        {
            Name = "gtsrb", Title = "GTSRB", Folders = ["gtsrb", "GTSRB"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 43, PoolSplits = ["train"], TestSplit = "test", Splits = ["train", "test"], PaperShots = 16,
            ClipSet = "GTSRB",
            Layouts = ["GTSRB_Final_Training_Images.zip / GTSRB-Training_fixed.zip + GTSRB_Final_Test_Images.zip + GTSRB_Final_Test_GT.zip (or extracted: Final_Training/Images/000NN/*.ppm + GT-000NN.csv, Final_Test/Images/*.ppm + GT-final_test.csv)", "the named-folder variant: Final_Training/Images/<name>/ with GT-000NN.csv, Final_Test/Images/<name>/ with GT-final_test.csv, GTSRB_Class_Names.csv (e.g. gtsrb-subset.tar.gz)"],
            Downloads = [new(Erda + "GTSRB-Training_fixed.zip", "GTSRB-Training_fixed.zip", "513f3c79a4c5141765e10e952eaa2478"),
                         new(Erda + "GTSRB_Final_Test_Images.zip", "GTSRB_Final_Test_Images.zip", "c7e4e6327067d32654124b0fe9e82185"),
                         new(Erda + "GTSRB_Final_Test_GT.zip", "GTSRB_Final_Test_GT.zip", "fe31e9c9270bbcd7b84b7f21a9d9d9e5")],
            Present = Gtsrb.Has,
            ReadImages = Gtsrb.Read,
        },
        new()
        {
            Name = "fgvc-aircraft", Title = "FGVC-Aircraft", Folders = ["fgvc-aircraft", "fgvc-aircraft-2013b"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 100, PoolSplits = ["train", "val"], TestSplit = "test", Splits = ["train", "val", "trainval", "test"], PaperShots = 16,
            ClipSet = "FGVCAircraft", ClipOrder = ClipNameOrder.ByName,
            Layouts = ["fgvc-aircraft-2013b.tar.gz or fgvc-aircraft-2013b/data/{variants.txt, images_variant_{train,val,test}.txt, images/*.jpg}"],
            Downloads = [new(Vgg + "fgvc-aircraft/archives/fgvc-aircraft-2013b.tar.gz", "fgvc-aircraft-2013b.tar.gz")],
            Present = FgvcAircraft.Has,
            ReadImages = FgvcAircraft.Read,
        },
        new()
        {
            Name = "imagenet", Title = "ImageNet-1k (ILSVRC2012)", Folders = ["imagenet", "ILSVRC2012"], Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 1000, PoolSplits = ["train"], TestSplit = "val", Splits = ["train", "val"], PaperShots = 16,
            ClipSet = ClipPrompts.ImageNet,
            Layouts = ["train/<wnid>/*.JPEG + val/<wnid>/*.JPEG (1000 WordNet-id folders each; the validation images sorted into class folders)"],
            Manual = "ImageNet needs registration at https://image-net.org: download ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar, extract train/ (one folder per wnid) and sort val/ into wnid folders (e.g. with the widely used valprep.sh)",
            Present = t => ImageFolder.FindSplit(t, "train") != null,
            ReadImages = (t, s) => ImageNetSplit(t, s),
        },
        new()
        {
            Name = "fashion-mnist", Title = "Fashion-MNIST", Folders = ["fashion-mnist", "FashionMNIST/raw"], SystemFolders = ["/usr/share/datasets/fashion-mnist"],
            Task = TaskType.ImageClassification, Metric = MetricNames.Accuracy,
            ClassCount = 10, PoolSplits = ["train"], TestSplit = "test", Splits = ["train", "test"], PaperShots = 16, Channels = 1,
            Layouts = ["train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]"],
            Downloads = [new(FashionBase + "train-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                         new(FashionBase + "train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                         new(FashionBase + "t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                         new(FashionBase + "t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")],
            Manual = "on Debian/Ubuntu: sudo apt install dataset-fashion-mnist",
            Present = FashionMnist.Has,
            ReadImages = FashionMnist.Read,
        },
        Glue(GlueTask.Sst2, [new(GlueBase + "SST-2.zip", "SST-2.zip")]),
        Glue(GlueTask.Mrpc, [new("https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt", "msr_paraphrase_train.txt"),
                             new("https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt", "msr_paraphrase_test.txt"),
                             new(GlueBase + "mrpc_dev_ids.tsv", "mrpc_dev_ids.tsv")]),
        Glue(GlueTask.Cola, [new(GlueBase + "CoLA.zip", "CoLA.zip")]),
        Glue(GlueTask.Qnli, [new(GlueBase + "QNLIv2.zip", "QNLIv2.zip")]),
    ];

    /// <summary>CLIP's prompt data, fetched into <c>clip/</c> by <c>partial-lora data download clip</c>.</summary>
    public static readonly IReadOnlyList<RemoteFile> ClipDownloads =
    [
        new("https://raw.githubusercontent.com/openai/CLIP/main/data/prompts.md", ClipPrompts.PromptsFile),
        new("https://raw.githubusercontent.com/openai/CLIP/main/notebooks/Prompt_Engineering_for_ImageNet.ipynb", ClipPrompts.ImageNetNotebook),
    ];

    private static DatasetInfo Glue(GlueTask task, IReadOnlyList<RemoteFile> downloads)
    {
        var g = GlueTaskInfo.Of(task);
        return new DatasetInfo
        {
            Name = g.Name, Title = $"GLUE {g.Folder}", Folders = [$"glue/{g.Folder}", g.Folder], Task = g.Type, Metric = g.Metric,
            ClassCount = g.Labels.Length, PoolSplits = ["train"], TestSplit = "validation", Splits = GlueReader.Splits, Glue = task,
            Layouts = task switch
            {
                GlueTask.Mrpc => ["train.tsv, dev.tsv, test.tsv (GLUE)", "msr_paraphrase_train.txt + msr_paraphrase_test.txt + mrpc_dev_ids.tsv (GLUE's sources)"],
                GlueTask.Cola => ["train.tsv (+ val.tsv), dev.tsv, test.tsv, or CoLA.zip"],
                _ => [$"train.tsv, dev.tsv, test.tsv, or {downloads[0].FileName}"],
            },
            Downloads = downloads,
            Present = t => t.FindByName("dev.tsv").Count > 0 || t.FindByName("test.tsv").Count > 0 || t.FindByName("msr_paraphrase_train.txt").Count > 0,
        };
    }

    private static ImageSplit ImageNetSplit(FileTree tree, string split)
    {
        var s = ImageFolder.Read(tree, "imagenet", split, null, 3);
        if (s.ClassNames.Count != 1000)
            throw new InvalidDataException($"imagenet/{split}: {s.ClassNames.Count} class folders in {tree.Location}; expected the 1000 WordNet-id folders");
        return s;
    }

    /// <summary>The entry for <paramref name="name"/> (case-insensitive; '_' = '-').</summary>
    public static DatasetInfo Get(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace('_', '-');
        return All.FirstOrDefault(d => d.Name == key || d.Name.Replace("-", "") == key.Replace("-", ""))
               ?? throw new ArgumentException($"unknown dataset '{name}'; known: {string.Join(", ", All.Select(d => d.Name))}");
    }

    private static readonly ConcurrentDictionary<string, Lazy<FileTree>> Trees = new();

    /// <summary>
    /// The dataset's files under <paramref name="dataRoot"/> (see <see cref="DataRoot"/>): the first candidate folder in
    /// which one of its layouts is present. Trees are opened once per process (listing a .tar.gz decompresses it).
    /// </summary>
    public static FileTree Open(DatasetInfo info, string dataRoot)
    {
        var looked = new List<string>();
        foreach (var folder in info.Folders.Select(f => Path.Combine(dataRoot, f)).Concat(info.SystemFolders))
        {
            looked.Add(folder);
            if (!Directory.Exists(folder)) continue;
            var full = Path.GetFullPath(folder);
            var key = full + "|" + Fingerprint(full);
            var tree = Trees.GetOrAdd(key, _ => new Lazy<FileTree>(() => FileTree.Open(full))).Value;
            if (info.Present(tree)) return tree;
        }
        throw NotFound(info, looked);
    }

    private static DatasetNotFoundException NotFound(DatasetInfo info, IReadOnlyList<string> looked)
    {
        var how = new List<string>();
        if (info.Downloads.Count > 0) how.Add($"run 'partial-lora data download {info.Name}' (fetches {string.Join(", ", info.Downloads.Select(d => d.FileName))} into {info.Folders[0]}/)");
        if (info.Manual != null) how.Add(info.Manual);
        return new DatasetNotFoundException(info.Name, info.Layouts, looked, "To get it: " + string.Join("; or ", how) + ".");
    }

    /// <summary>Names, sizes and times of the folder's top-level entries, so a changed folder gets a fresh tree.</summary>
    private static string Fingerprint(string folder) =>
        string.Join(";", new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name}:{(f as FileInfo)?.Length}:{f.LastWriteTimeUtc.Ticks}"));

    /// <summary>An image split with CLIP's class names when <c>clip/</c> holds them (else the dataset's own names).</summary>
    public static ImageSplit ReadImages(string name, string split, string dataRoot)
    {
        var info = Get(name);
        if (info.ReadImages == null) throw new ArgumentException($"{info.Name} is a text dataset; use ReadGlue");
        if (!info.Splits.Contains(split)) throw new ArgumentException($"{info.Name}: split '{split}' is not one of {string.Join(", ", info.Splits)}");
        var s = info.ReadImages(Open(info, dataRoot), split);
        if (s.ClassNames.Count != info.ClassCount)
            throw new InvalidDataException($"{info.Name}/{split}: {s.ClassNames.Count} classes, expected {info.ClassCount}");
        return ClipNames(info, dataRoot, s.ClassNames) is { } names ? s.WithClassNames(names) : s;
    }

    /// <summary>A GLUE split: <c>train</c>, <c>validation</c> (GLUE dev), <c>test</c> (unlabelled), or <c>dev-train</c> /
    /// <c>dev-test</c> (<see cref="GlueSplits.SplitDev"/> of the dev set with <paramref name="seed"/>).</summary>
    public static GlueSplit ReadGlue(string name, string split, string dataRoot, ulong seed = 0)
    {
        var info = Get(name);
        if (info.Glue is not { } task) throw new ArgumentException($"{info.Name} is an image dataset; use ReadImages");
        var tree = Open(info, dataRoot);
        if (split is "dev-train" or "dev-test")
        {
            var (train, test) = GlueSplits.SplitDev(GlueReader.Read(tree, task, "validation"), seed);
            return split == "dev-train" ? train : test;
        }
        return GlueReader.Read(tree, task, split);
    }

    /// <summary>CLIP's prompt set for <paramref name="name"/>, aligned to the dataset's labels (class i's names in
    /// <c>Classes[i]</c>, the first being its display name), or null when CLIP has none or <c>clip/</c> is absent.</summary>
    public static ClipPromptSet? Prompts(string name, string dataRoot, IReadOnlyList<string>? datasetClassNames = null)
    {
        var info = Get(name);
        if (info.ClipSet == null) return null;
        var folder = Path.Combine(dataRoot, ClipPrompts.Folder);
        if (!File.Exists(Path.Combine(folder, ClipPrompts.PromptsFile)) && !File.Exists(Path.Combine(folder, ClipPrompts.ImageNetNotebook))) return null;
        var sets = ClipPrompts.Load(folder);
        if (!sets.TryGetValue(info.ClipSet, out var set)) return null;
        if (set.Classes.Count != info.ClassCount)
            throw new InvalidDataException($"{folder}: CLIP's {info.ClipSet} list has {set.Classes.Count} classes, {info.Name} has {info.ClassCount}");
        if (info.ClipOrder == ClipNameOrder.ByIndex) return set;
        var own = datasetClassNames ?? throw new ArgumentException($"{info.Name}: CLIP's names are matched by name; pass the dataset's class names");
        var byLoose = set.Classes.Select((c, i) => (Readers.ReaderSupport.Loose(c[0]), i)).ToDictionary(t => t.Item1, t => t.i);
        var ordered = own.Select(n => byLoose.TryGetValue(Readers.ReaderSupport.Loose(n), out var i) ? set.Classes[i]
            : throw new InvalidDataException($"{info.Name}: class '{n}' has no match in CLIP's {info.ClipSet} names ({folder})")).ToList();
        return set with { Classes = ordered };
    }

    private static IReadOnlyList<string>? ClipNames(DatasetInfo info, string dataRoot, IReadOnlyList<string> own) =>
        Prompts(info.Name, dataRoot, own)?.Classes.Select(c => c[0]).ToList();
}
