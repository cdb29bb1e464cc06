using System.Security.Cryptography;
using PartialLoRA.Data;
using PartialLoRA.Data.Cache;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Registry;
using TorchSharp;
using static PartialLoRA.Tests.Data.DataFixtures;

namespace PartialLoRA.Tests.Data;

public class RegistryTests
{
    [Fact]
    public void The_data_root_is_the_flag_then_the_environment_then_dot_data()
    {
        Assert.Equal(Path.GetFullPath("/x/flag"), DataRoot.Resolve("/x/flag", "/y/env"));
        Assert.Equal(Path.GetFullPath("/y/env"), DataRoot.Resolve(null, "/y/env"));
        Assert.Equal(Path.GetFullPath("data"), DataRoot.Resolve(" ", ""));
    }

    [Fact]
    public void Every_paper_dataset_is_registered_with_its_task_metric_and_shots()
    {
        string[] paper = ["pets", "cifar10", "cifar100", "flowers102", "fer2013", "gtsrb", "fgvc-aircraft", "imagenet", "sst2", "qnli", "mrpc", "cola"];
        foreach (var n in paper) Assert.Equal(n, DatasetRegistry.Get(n).Name);
        Assert.Equal(6, DatasetRegistry.Get("flowers102").PaperShots);
        Assert.Equal(MetricNames.Matthews, DatasetRegistry.Get("CoLA").Metric);
        Assert.Equal(MetricNames.F1Accuracy, DatasetRegistry.Get("mrpc").Metric);
        Assert.Equal(TaskType.SentencePairClassification, DatasetRegistry.Get("qnli").Task);
        Assert.Equal(1000, DatasetRegistry.Get("imagenet").ClassCount);
        Assert.Equal(["train", "val"], DatasetRegistry.Get("fgvc_aircraft").PoolSplits);
        Assert.Contains("known:", Assert.Throws<ArgumentException>(() => DatasetRegistry.Get("mnist")).Message);
    }

    [Fact]
    public void Missing_files_say_what_was_expected_where_it_looked_and_how_to_get_them()
    {
        var root = TestSupport.TempDir("root");
        Directory.CreateDirectory(Path.Combine(root, "cifar100"));
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetRegistry.ReadImages("cifar100", "train", root));
        Assert.Contains("cifar-100-binary.tar.gz", e.Message);
        Assert.Contains(Path.Combine(root, "cifar100"), e.Message);
        Assert.Contains(Path.Combine(root, "cifar-100"), e.Message);
        Assert.Contains("partial-lora data download cifar100", e.Message);
        var f = Assert.Throws<DatasetNotFoundException>(() => DatasetRegistry.ReadImages("fer2013", "train", root));
        Assert.Contains("Kaggle", f.Message);
    }

    [Fact]
    public async Task Downloads_are_md5_checked_and_the_registry_reads_the_archives_in_place()
    {
        TestSupport.Torch.ToString();
        using var server = new LoopbackHttpServer();
        var pixels = Enumerable.Range(0, 3 * 28 * 28).Select(i => (double)(i % 200)).ToArray();
        var files = new (string, byte[])[]
        {
            ("train-images-idx3-ubyte.gz", Idx(0x08, [3, 28, 28], pixels, gzip: true)), ("train-labels-idx1-ubyte.gz", Idx(0x08, [3], [5, 0, 5], gzip: true)),
            ("t10k-images-idx3-ubyte.gz", Idx(0x08, [1, 28, 28], pixels[..784], gzip: true)), ("t10k-labels-idx1-ubyte.gz", Idx(0x08, [1], [2], gzip: true)),
        };
        var remote = files.Select(f => new RemoteFile(server.Add("fm/" + f.Item1, f.Item2).ToString(), f.Item1, Convert.ToHexStringLower(MD5.HashData(f.Item2)))).ToList();
        var root = TestSupport.TempDir("root");
        var paths = await DatasetDownloads.FetchAsync(remote, Path.Combine(root, "fashion-mnist"), new Downloader());
        Assert.Equal(4, paths.Count);
        var train = DatasetRegistry.ReadImages("fashion-mnist", "train", root);
        Assert.Equal([5, 0, 5], train.Labels);
        Assert.Equal("Sandal", train.ClassNames[5]);

        var wrong = new RemoteFile(server.Add("fm/x.gz", [1, 2, 3]).ToString(), "x.gz", new string('0', 32));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => DatasetDownloads.FetchAsync([wrong], Path.Combine(root, "other"), new Downloader()));
        Assert.Contains(Convert.ToHexStringLower(MD5.HashData(new byte[] { 1, 2, 3 })), e.Message);
        Assert.Contains(new string('0', 32), e.Message);
        Assert.False(File.Exists(Path.Combine(root, "other", "x.gz")));
    }

    private static ClassificationSet Build(int seed)
    {
        var split = new ArrayImageSplit("toy", "train", ["a", "b"], Enumerable.Range(0, 4 * 3 * 4 * 4).Select(i => (byte)(i * seed)).ToArray(), 4, 4, 3,
            [0, 1, 1, 0], i => $"row {i}");
        return split.Load(DecodeSpec.Native());
    }

    [Fact]
    public void The_cache_serves_memory_then_disk_and_rebuilds_a_damaged_entry()
    {
        TestSupport.Torch.ToString();
        var dir = TestSupport.TempDir("cache");
        var key = SetCache.Key("toy", "train", "all");
        var first = new SetCache(dir);
        using (var a = first.GetOrBuild(key, () => Build(3)))
        using (var b = first.GetOrBuild(key, () => throw new InvalidOperationException("must not rebuild")))
        {
            Assert.True(a.Inputs.eq(b.Inputs).all().item<bool>());
            Assert.Equal((1, 1, 0), (first.Builds, first.MemoryHits, first.DiskHits));
        }
        var file = Assert.Single(Directory.GetFiles(dir, "*.safetensors"));
        Assert.Equal(key + ".safetensors", Path.GetFileName(file));

        var second = new SetCache(dir);
        using (var c = second.GetOrBuild(key, () => throw new InvalidOperationException("must come from disk")))
        using (var expected = Build(3))
        {
            Assert.Equal(1, second.DiskHits);
            Assert.True(c.Inputs.eq(expected.Inputs).all().item<bool>());
            Assert.Equal(["a", "b"], c.ClassNames);
            Assert.Equal(new long[] { 0, 1, 1, 0 }, c.LabelArray());
        }

        second.Clear();   // memory dropped: the next request reads the disk entry again
        using (second.GetOrBuild(key, () => throw new InvalidOperationException("must come from disk"))) Assert.Equal(2, second.DiskHits);

        var bytes = File.ReadAllBytes(file);
        bytes[^5] ^= 0xFF;   // damage the stored pixels
        File.WriteAllBytes(file, bytes);
        var third = new SetCache(dir);
        using (third.GetOrBuild(key, () => Build(3))) Assert.Equal(1, third.Builds);
    }

    [Fact]
    public void A_set_first_built_inside_a_dispose_scope_stays_usable_after_the_scope()
    {
        TestSupport.Torch.ToString();
        var cache = new SetCache();
        var key = SetCache.Key("toy", "train", "scoped");
        using (torch.NewDisposeScope())
        using (var inside = cache.GetOrBuild(key, () => Build(5)))
            Assert.Equal(4, inside.Count);
        using var after = cache.GetOrBuild(key, () => throw new InvalidOperationException("must come from memory"));
        using var expected = Build(5);
        Assert.True(after.Inputs.eq(expected.Inputs).all().item<bool>());
        Assert.Equal(1, cache.MemoryHits);
    }

    [Fact]
    public void Imagenet_needs_its_1000_wordnet_folders_and_the_whole_dataset_mode_holds_out_validation()
    {
        TestSupport.Torch.ToString();
        var root = TestSupport.TempDir("root");
        WriteTree(Path.Combine(root, "imagenet"), [("train/n01440764/a.JPEG", ImageDecoder.EncodeJpeg(Pattern(8, 8))), ("train/n01443537/b.JPEG", ImageDecoder.EncodeJpeg(Pattern(8, 8)))]);
        Assert.Contains("2 class folders", Assert.Throws<InvalidDataException>(() => DatasetRegistry.ReadImages("imagenet", "train", root)).Message);

        var files = new List<(string, byte[])>();
        for (int c = 0; c < 10; c++)
        {
            var name = PartialLoRA.Data.Readers.Cifar.Cifar10Classes[c];
            for (int i = 0; i < 6; i++) files.Add(($"train/{name}/{i:D4}.png", ImageDecoder.EncodePng(Pattern(32, 32, 3, c * 6 + i))));
            files.Add(($"test/{name}/0000.png", ImageDecoder.EncodePng(Pattern(32, 32, 3, c))));
        }
        WriteTree(Path.Combine(root, "cifar10"), files);
        using var whole = TaskData.Images("cifar10", ImagePreset.Lab(32), seed: 4, root, shots: 2, whole: true, cache: new SetCache());
        Assert.Equal((40L, 20L, 20L, 10L), (whole.Train.Count, whole.Validation.Count, whole.FewShot.Count, whole.Test.Count));
        using var fewShot = TaskData.Images("cifar10", ImagePreset.Lab(32), seed: 4, root, shots: 2, cache: new SetCache());
        Assert.Equal((20L, 20L, 20L), (fewShot.Train.Count, fewShot.Validation.Count, fewShot.FewShot.Count));
        Assert.True(fewShot.FewShot.Inputs.eq(fewShot.Train.Inputs).all().item<bool>());
        // the held-out validation rows never appear in training: compare decoded pixels row by row
        var trainRows = Enumerable.Range(0, 40).Select(i => Convert.ToBase64String(whole.Train.Inputs[i].data<byte>().ToArray())).ToHashSet();
        Assert.All(Enumerable.Range(0, 20), i => Assert.DoesNotContain(Convert.ToBase64String(whole.Validation.Inputs[i].data<byte>().ToArray()), trainRows));
    }

    [Fact]
    public void Train_and_test_limits_pick_the_rows_before_decoding_and_keep_the_seeded_draw()
    {
        TestSupport.Torch.ToString();
        var root = TestSupport.TempDir("root");
        var files = new List<(string, byte[])>();
        for (int c = 0; c < 10; c++)
        {
            var name = PartialLoRA.Data.Readers.Cifar.Cifar10Classes[c];
            for (int i = 0; i < 4; i++) files.Add(($"train/{name}/{i:D4}.png", ImageDecoder.EncodePng(Pattern(32, 32, 3, c * 4 + i))));
            for (int i = 0; i < 3; i++) files.Add(($"test/{name}/{i:D4}.png", ImageDecoder.EncodePng(Pattern(32, 32, 3, 100 + c * 3 + i))));
        }
        WriteTree(Path.Combine(root, "cifar10"), files);
        TaskSets Sets(bool whole, int? train, int? test) =>
            TaskData.Images("cifar10", ImagePreset.Lab(32), seed: 4, root, shots: 1, whole: whole, cache: new SetCache(), trainLimit: train, testLimit: test);
        static bool Same(ClassificationSet a, ClassificationSet b) =>
            a.Split == b.Split && a.Inputs.shape.SequenceEqual(b.Inputs.shape) && a.Labels.eq(b.Labels).all().item<bool>()
            && a.Inputs.eq(b.Inputs).all().item<bool>();

        // the limited sets are the seeded subsets of the decoded ones (the draw limiting after decoding made)
        foreach (var whole in new[] { false, true })
        {
            using var all = Sets(whole, null, null);
            using var limited = Sets(whole, 7, 11);
            Assert.Equal((7L, 11L), (limited.Train.Count, limited.Test.Count));
            Assert.Equal("test[test_limit=11]", limited.Test.Split);
            using (var train = RowLimit.Apply(all.Train.Share(), 7, 4, "train_limit")) Assert.True(Same(train, limited.Train));
            using (var test = RowLimit.Apply(all.Test.Share(), 11, 4, "test_limit")) Assert.True(Same(test, limited.Test));
            Assert.True(Same(all.FewShot, limited.FewShot));   // Algorithm 1's D_t is not limited
            Assert.True(Same(all.Validation, limited.Validation));
        }

        // test rows outside the limit are never decoded: break them, and the limited task still loads
        var split = DatasetRegistry.ReadImages("cifar10", "test", root);
        var kept = RowLimit.Positions(split.Count, 11, 4, "test_limit", "cifar10", "test")!;
        foreach (var i in Enumerable.Range(0, split.Count).Except(kept)) File.WriteAllBytes(split.Describe(i), [1, 2, 3]);
        using (var limited = Sets(false, null, 11)) Assert.Equal(11L, limited.Test.Count);
        Assert.Throws<InvalidDataException>(() => Sets(false, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sets(false, null, 0));
    }
}
