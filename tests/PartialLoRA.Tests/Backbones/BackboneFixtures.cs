using System.Text.Json.Nodes;
using PartialLoRA.Backbones;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Tests.Data;

namespace PartialLoRA.Tests.Backbones;

/// <summary>Tiny backbones, vocabularies and datasets the backbone tests build themselves.</summary>
internal static class BackboneFixtures
{
    public static ClipVisionConfig TinyVision => new() { ImageSize = 8, PatchSize = 4, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 2 };

    public static readonly string[] VocabLines =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "film", "is", "good", "bad", "very", "not", "movie", "plot", "##s", "and", "it", "was", "fun"];

    public static DebertaV2Config TinyText => DebertaV2Config.V3Base with
    {
        VocabSize = VocabLines.Length, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 24,
        MaxPositionEmbeddings = 32, PositionBuckets = 8,
    };

    public static string WriteVocab(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "vocab.txt");
        File.WriteAllLines(path, VocabLines);
        return path;
    }

    /// <summary>Writes a backbone folder {root}/{name} from a model and records it in root's manifest (as the publishers do).</summary>
    public static string Publish(IHfModel model, string root, string name, Action<string>? addFiles = null)
    {
        var folder = Path.Combine(root, name);
        BackboneExport.SaveFp16(model, folder);
        addFiles?.Invoke(folder);
        var manifest = BackboneManifest.Open(root);
        manifest.SetEntry(name, new JsonObject { ["folder"] = name, ["files"] = BackboneManifest.Hashes(folder) });
        manifest.Save();
        return folder;
    }

    /// <summary>A CIFAR-10 binary data root: <paramref name="perClass"/> training images per class (spread over the five batch files) and 2 test images per class.</summary>
    public static string TinyCifar(string root, int perClass)
    {
        var folder = Path.Combine(root, "cifar10", "cifar-10-batches-bin");
        Directory.CreateDirectory(folder);
        var train = Enumerable.Range(0, 10 * perClass).Select(i => (Label: i % 10, Image: DataFixtures.Pattern(32, 32, 3, seed: i + 17 * (i % 10)))).ToList();
        for (int b = 0; b < 5; b++)
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{b + 1}.bin"), DataFixtures.CifarRecords(train.Where((_, i) => i % 5 == b).ToList()));
        var test = Enumerable.Range(0, 20).Select(i => (i % 10, DataFixtures.Pattern(32, 32, 3, seed: 1000 + i))).ToList();
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), DataFixtures.CifarRecords(test));
        return root;
    }

    /// <summary>An SST-2 data root (glue/SST-2/train.tsv with 40 rows, dev.tsv with 8) in the tiny vocabulary.</summary>
    public static string TinySst2(string root)
    {
        var folder = Path.Combine(root, "glue", "SST-2");
        Directory.CreateDirectory(folder);
        string[] pos = ["the film is good", "very good movie", "it was fun", "good plot and fun"];
        string[] neg = ["the film is bad", "very bad movie", "it was not fun", "bad plot"];
        IEnumerable<string> Rows(int n) => Enumerable.Range(0, n).Select(i => i % 2 == 0 ? $"{pos[i / 2 % 4]} \t1" : $"{neg[i / 2 % 4]} \t0");
        File.WriteAllLines(Path.Combine(folder, "train.tsv"), ["sentence\tlabel", .. Rows(40)]);
        File.WriteAllLines(Path.Combine(folder, "dev.tsv"), ["sentence\tlabel", .. Rows(8)]);
        return root;
    }
}
