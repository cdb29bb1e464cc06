namespace PartialLoRA.Tests.Data;

/// <summary>
/// Where the real offline datasets are: $PARTIALLORA_DATA when it names a folder, else a <c>shared/data</c> folder
/// beside an ancestor of the test binary (the layout of the development and CI machines).
/// </summary>
public static class RealData
{
    public static readonly string? Root = Find();

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("PARTIALLORA_DATA");
        if (!string.IsNullOrWhiteSpace(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "shared", "data");
            if (File.Exists(Path.Combine(candidate, "README.md"))) return candidate;
        }
        return null;
    }

    private static string? Needs(params string[] relative) =>
        Root == null ? "real data not found: set PARTIALLORA_DATA to the shared data folder (e.g. ../shared/data)"
        : relative.FirstOrDefault(r => !File.Exists(Path.Combine(Root, r)) && !Directory.Exists(Path.Combine(Root, r))) is { } missing
            ? $"real data file {missing} not found under {Root}" : null;

    public static string? Cifar10 => Needs("cifar10/cifar10-images.tar.gz");
    public static string? Fer2013 => Needs("fer2013/fer2013-images-subset.tar.gz");
    public static string? Gtsrb => Needs("gtsrb/gtsrb-subset.tar.gz");
    public static string? Glue => Needs("glue/SST-2/train.tsv", "glue/MRPC/train.tsv", "glue/CoLA/train.tsv", "glue/QNLI/dev.tsv");
    public static string? Clip => Needs("clip/prompts.md", "clip/Prompt_Engineering_for_ImageNet.ipynb");

    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";
    public static string? FashionMnist =>
        File.Exists(Path.Combine(DebianFashionMnist, "train-images-idx3-ubyte.gz")) ? null
            : $"{DebianFashionMnist} not found (apt install dataset-fashion-mnist)";
}
