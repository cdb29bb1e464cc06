using PartialLoRA.Data.Images;
using static PartialLoRA.Tests.Data.DataFixtures;

namespace PartialLoRA.Tests.Data;

public class DataCliTests
{
    private static readonly Dictionary<string, string?> NoDataEnv = new() { ["PARTIALLORA_DATA"] = null, ["PARTIALLORA_DEVICE"] = "cpu" };

    private static string TinyCifarRoot()
    {
        var root = TestSupport.TempDir("cli-root");
        var files = new List<(string, byte[])>();
        foreach (var split in new[] { "train", "test" })
            for (int c = 0; c < 10; c++)
                for (int i = 0; i < (split == "train" ? 3 : 1); i++)
                    files.Add(($"{split}/{PartialLoRA.Data.Readers.Cifar.Cifar10Classes[c]}/{i:D4}.jpg", ImageDecoder.EncodeJpeg(Pattern(32, 32, 3, c * 10 + i))));
        Directory.CreateDirectory(Path.Combine(root, "cifar10"));
        File.WriteAllBytes(Path.Combine(root, "cifar10", "cifar10-images.tar.gz"), TarGz(files));
        return root;
    }

    [Fact]
    public void Bench_data_prints_measured_throughput_for_every_stage()
    {
        var root = TinyCifarRoot();
        var r = TestSupport.RunCli(TestSupport.CliDll, ["bench", "data", "--data", root, "--resized-limit", "4", "--batch-size", "8"], NoDataEnv);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n').Where(l => l.Contains("img/s")).ToList();
        Assert.Equal(5, lines.Count);
        Assert.Contains(lines, l => l.StartsWith("decode → uint8 3×32×32") && l.Contains("    30 images"));
        Assert.Contains(lines, l => l.Contains("224×224") && l.Contains("     4 images"));
        Assert.Contains("load average", r.Stdout);
    }

    [Fact]
    public void Data_show_counts_splits_and_a_missing_dataset_is_one_line_saying_how_to_get_it()
    {
        var root = TinyCifarRoot();
        var show = TestSupport.RunCli(TestSupport.CliDll, ["data", "show", "cifar10", "--data", root], NoDataEnv);
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Contains("split train            30 examples", show.Stdout);
        Assert.Contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", show.Stdout);

        var missing = TestSupport.RunCli(TestSupport.CliDll, ["bench", "data", "--dataset", "cifar100", "--data", root], NoDataEnv);
        Assert.Equal(2, missing.ExitCode);
        var line = Assert.Single(missing.Stderr.Trim().Split('\n'));
        Assert.StartsWith("error: cifar100: files not found.", line);
        Assert.Contains("partial-lora data download cifar100", line);

        var unknown = TestSupport.RunCli(TestSupport.CliDll, ["data", "download", "mnist", "--data", root], NoDataEnv);
        Assert.Equal(2, unknown.ExitCode);
        Assert.StartsWith("error: unknown dataset 'mnist'", unknown.Stderr.Trim());
    }
}
