using PartialLoRA.Data;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Data.Glue;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Registry;

namespace PartialLoRA.Tests.Data;

/// <summary>Integration over the real archives in shared/data, asserting the counts its README gives.</summary>
public class RealDataTests
{
    private static string Root => RealData.Root!;

    private static void PerClass(IReadOnlyList<int> labels, int classes, int each)
    {
        var counts = new int[classes];
        foreach (var l in labels) counts[l]++;
        Assert.All(counts, c => Assert.Equal(each, c));
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Cifar10))]
    public void Cifar10_image_archive_has_50000_train_and_10000_test_images_and_16_shots_decode()
    {
        TestSupport.Torch.ToString();
        var train = DatasetRegistry.ReadImages("cifar10", "train", Root);
        var test = DatasetRegistry.ReadImages("cifar10", "test", Root);
        Assert.Equal(50_000, train.Count);
        PerClass(train.Labels, 10, 5_000);
        Assert.Equal(10_000, test.Count);
        PerClass(test.Labels, 10, 1_000);
        Assert.Equal(["airplane", "automobile", "bird"], train.ClassNames.Take(3));
        var rows = FewShotSampler.PerClass(train.Labels, 10, 16, 0, "cifar10");
        using var few = train.Load(DecodeSpec.Native(), rows.Train);
        Assert.Equal(new long[] { 160, 3, 32, 32 }, few.Inputs.shape);
        Assert.All(few.ClassCounts(), c => Assert.Equal(16, c));
        // decoded images are real pictures, not blank: CIFAR's mean pixel value is about 120
        Assert.InRange(few.Inputs.to(TorchSharp.torch.ScalarType.Float32).mean().item<float>(), 95f, 145f);
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Fer2013))]
    public void Fer2013_subset_has_4036_train_and_3589_test_faces_and_a_16_shot_task_loads_end_to_end()
    {
        TestSupport.Torch.ToString();
        var train = DatasetRegistry.ReadImages("fer2013", "train", Root);
        Assert.Equal(4_036, train.Count);
        Assert.Equal(7, train.Labels.Distinct().Count());
        Assert.True(train.Labels.GroupBy(l => l).All(g => g.Count() <= 600));
        using var sets = TaskData.Images("fer2013", ImagePreset.Lab(32), seed: 0, Root, cache: new PartialLoRA.Data.Cache.SetCache());
        Assert.Equal((112L, 112L, 3_589L), (sets.Train.Count, sets.Validation.Count, sets.Test.Count));
        Assert.Equal(new long[] { 3_589, 1, 32, 32 }, sets.Test.Inputs.shape);
        Assert.Contains("16 shots per class", sets.Protocol);
        if (RealData.Clip == null) Assert.Equal("disgusted", sets.Train.ClassNames[1]);   // CLIP's names
        using var batch = sets.Train.Batches(16, shuffle: true, seed: 1, transform: sets.TrainTransform, device: TorchSharp.torch.CPU).First();
        Assert.Equal(new long[] { 16, 3, 32, 32 }, batch.Inputs.shape);   // gray expanded to RGB, normalised
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Gtsrb))]
    public void Gtsrb_subset_has_8144_train_and_3474_test_signs_in_43_classes()
    {
        TestSupport.Torch.ToString();
        var train = DatasetRegistry.ReadImages("gtsrb", "train", Root);
        var test = DatasetRegistry.ReadImages("gtsrb", "test", Root);
        Assert.Equal(8_144, train.Count);
        Assert.Equal(3_474, test.Count);
        Assert.Equal(43, train.Labels.Distinct().Count());
        Assert.Equal(43, test.Labels.Distinct().Count());
        Assert.True(train.Labels.GroupBy(l => l).All(g => g.Count() <= 200));
        var rows = FewShotSampler.PerClass(train.Labels, 43, 16, 0, "gtsrb");
        using var few = train.Load(DecodeSpec.Native(), rows.Train);
        Assert.Equal(new long[] { 688, 3, 35, 35 }, few.Inputs.shape);
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Glue))]
    public void Glue_offline_copies_have_the_official_counts()
    {
        GlueSplit R(string task, string split) => DatasetRegistry.ReadGlue(task, split, Root);
        Assert.Equal(67_349, R("sst2", "train").Count);
        Assert.Equal(872, R("sst2", "validation").Count);
        Assert.Equal(3_668, R("mrpc", "train").Count);
        Assert.Equal(408, R("mrpc", "validation").Count);
        Assert.False(R("mrpc", "test").IsLabelled);
        Assert.Equal(1_725, R("mrpc", "test").Count);
        Assert.Equal(8_551, R("cola", "train").Count);
        Assert.Equal(1_043, R("cola", "validation").Count);
        Assert.Equal(1_063, R("cola", "test").Count);
        var dev = R("qnli", "validation");
        Assert.Equal(5_463, dev.Count);
        Assert.Equal(2_702, dev.Labels.Count(l => l == 0));
        Assert.Equal(4_371, R("qnli", "dev-train").Count);   // 80% per class, rounded half to even
        Assert.Equal(1_092, R("qnli", "dev-test").Count);
        Assert.Throws<FileNotFoundException>(() => R("qnli", "train"));
        var few = GlueSplits.FewShot(R("mrpc", "train"), seed: 0);
        Assert.Equal(73, few.Count);   // 2% of 1,194 + 2% of 2,474, per class
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Glue))]
    public void A_glue_task_encodes_through_a_tokenizer_with_the_paper_ratio()
    {
        TestSupport.Torch.ToString();
        using var sets = TaskData.Glue("mrpc", new GlueTests.WhitespaceTokenizer(), seed: 0, Root, maxLength: 64, cache: new PartialLoRA.Data.Cache.SetCache());
        Assert.Equal(3_668, sets.Train.Count);
        Assert.Equal(73, sets.FewShot.Count);
        Assert.Equal(408, sets.Validation.Count);
        Assert.Equal(MetricNames.F1Accuracy, sets.Train.Metric);
        Assert.True(sets.Train.Inputs.shape[1] <= 64);
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Glue))]
    public void Cola_encodes_with_the_real_bert_wordpiece_tokenizer()
    {
        TestSupport.Torch.ToString();
        var vocab = Path.Combine(Root, "bert-vocab", "vocab.txt");
        Assert.True(File.Exists(vocab), $"{vocab} is part of the shared data");
        var tok = PartialLoRA.Text.BertWordPieceTokenizer.FromVocab(vocab);
        using var sets = TaskData.Glue("cola", tok, seed: 0, Root, maxLength: 64, cache: new PartialLoRA.Data.Cache.SetCache(), tokenizerKey: "bert-base-uncased");
        Assert.Equal(8_551, sets.Train.Count);
        Assert.Equal(171, sets.FewShot.Count);   // 2% per class of CoLA's 8,551
        Assert.Equal(MetricNames.Matthews, sets.Validation.Metric);
        Assert.Equal(tok.ClsId, sets.Train.Inputs[0, 0].item<long>());
        var first = DatasetRegistry.ReadGlue("cola", "train", Root).Examples[0];
        var ids = sets.Train.Inputs[0].data<long>().ToArray().Take((int)sets.Train.AttentionMask![0].sum().item<long>()).Select(i => (int)i);
        Assert.Equal(tok.Encode(first.Text, null, 64), ids);
    }

    [RequiresFact(typeof(RealData), nameof(RealData.FashionMnist))]
    public void Fashion_mnist_from_debian_has_60000_and_10000_images()
    {
        using var tree = PartialLoRA.Data.Files.FileTree.Open(RealData.DebianFashionMnist);
        var train = PartialLoRA.Data.Readers.FashionMnist.Read(tree, "train");
        Assert.Equal(60_000, train.Count);
        PerClass(train.Labels, 10, 6_000);
        Assert.Equal(10_000, PartialLoRA.Data.Readers.FashionMnist.Read(tree, "test").Count);
    }

    [RequiresFact(typeof(RealData), nameof(RealData.Clip))]
    public void Clip_prompt_data_parses_with_class_counts_templates_and_synonyms()
    {
        var sets = ClipPrompts.Load(Path.Combine(Root, ClipPrompts.Folder));
        Assert.Equal((10, 18), (sets["CIFAR10"].Classes.Count, sets["CIFAR10"].Templates.Count));
        Assert.Equal((100, 18), (sets["CIFAR100"].Classes.Count, sets["CIFAR100"].Templates.Count));
        Assert.Equal(["happy", "smiling"], sets["FacialEmotionRecognition2013"].Classes[3]);
        Assert.Equal(43, sets["GTSRB"].Classes.Count);
        Assert.Equal("colt's foot", sets["Flowers102"].Classes[11][0]);
        Assert.Equal(100, sets["FGVCAircraft"].Classes.Count);
        Assert.Equal((1000, 80), (sets[ClipPrompts.ImageNet].Classes.Count, sets[ClipPrompts.ImageNet].Templates.Count));
        Assert.Equal("stop", sets["GTSRB"].Classes[14][0]);
        Assert.Equal("tench", sets[ClipPrompts.ImageNet].Classes[0][0]);
        Assert.Equal("a bad photo of a {}.", sets[ClipPrompts.ImageNet].Templates[0]);

        // Pets: CLIP sorts its names case-sensitively; the labels follow the annotation ids, so names are matched
        string[] official = ["Abyssinian", "american bulldog", "american pit bull terrier", "basset hound", "beagle", "Bengal", "Birman", "Bombay", "boxer",
            "British Shorthair", "chihuahua", "Egyptian Mau", "english cocker spaniel", "english setter", "german shorthaired", "great pyrenees", "havanese",
            "japanese chin", "keeshond", "leonberger", "Maine Coon", "miniature pinscher", "newfoundland", "Persian", "pomeranian", "pug", "Ragdoll",
            "Russian Blue", "saint bernard", "samoyed", "scottish terrier", "shiba inu", "Siamese", "Sphynx", "staffordshire bull terrier", "wheaten terrier", "yorkshire terrier"];
        var pets = DatasetRegistry.Prompts("pets", Root, official)!;
        Assert.Equal("american bulldog", pets.Classes[1][0]);
        Assert.Equal("Bengal", pets.Classes[5][0]);
        Assert.Equal("boxer", pets.Classes[8][0]);
        Assert.Equal(["a photo of a {}, a type of pet."], pets.Templates);
    }
}
