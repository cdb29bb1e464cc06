using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Readers;
using static PartialLoRA.Tests.Data.DataFixtures;

namespace PartialLoRA.Tests.Data;

/// <summary>The dataset layouts users download, as tiny trees the tests write (folders and archives).</summary>
public class ImageReaderTests
{
    private static byte[] Jpg(int seed, int h = 12, int w = 10) => ImageDecoder.EncodeJpeg(Pattern(h, w, 3, seed), 92);
    private static byte[] Png(int seed, int h = 12, int w = 10, int c = 3) => ImageDecoder.EncodePng(Pattern(h, w, c, seed));

    [Fact]
    public void An_image_folder_tar_gz_is_labelled_by_the_official_class_order_and_decodes_in_place()
    {
        TestSupport.Torch.ToString();
        var dir = TestSupport.TempDir("folder");
        // folder names sorted alphabetically differ from FER's official order (sad = 4, neutral = 6)
        File.WriteAllBytes(Path.Combine(dir, "faces.tar.gz"), TarGz([
            ("./train/sad/a.png", Png(1, c: 1)), ("./train/neutral/b.png", Png(2, c: 1)), ("./train/angry/c.png", Png(3, c: 1)),
            ("./test/sad/d.png", Png(4, c: 1))]));
        using var tree = FileTree.Open(dir);
        var s = ImageFolder.Read(tree, "fer2013", "train", Fer2013.Classes, channels: 1);
        Assert.Equal([0, 6, 4], s.Labels);   // paths sorted: angry/c, neutral/b, sad/a
        using var set = s.Load(new DecodeSpec(8, ResizeMode.Bilinear, Fit.Stretch));
        Assert.Equal(new long[] { 3, 1, 8, 8 }, set.Inputs.shape);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Read(tree, "cifar10", "train", Cifar.Cifar10Classes, 3));
        Assert.Contains("folder 'angry' is not a cifar10 class", e.Message);
    }

    [Fact]
    public void Native_decoding_requires_one_size_and_names_the_odd_image()
    {
        TestSupport.Torch.ToString();
        var dir = TestSupport.TempDir("folder");
        WriteTree(dir, [("train/a/1.png", Png(1)), ("train/a/2.png", Png(2, 14, 10)), ("train/b/3.png", Png(3))]);
        using var tree = FileTree.Open(dir);
        var s = ImageFolder.Read(tree, "toy", "train", null, 3);
        var e = Assert.Throws<InvalidDataException>(() => s.Load(DecodeSpec.Native()));
        Assert.Contains("train/a/2.png: image is 10x14", e.Message);
        using var ok = s.Load(new DecodeSpec(6));
        Assert.Equal(new long[] { 3, 3, 6, 6 }, ok.Inputs.shape);
        Assert.Equal(["a", "b"], s.ClassNames);
    }

    [Fact]
    public void An_undecodable_image_in_an_archive_is_named_with_the_archive_and_entry()
    {
        TestSupport.Torch.ToString();
        var dir = TestSupport.TempDir("folder");
        File.WriteAllBytes(Path.Combine(dir, "imgs.tar.gz"), TarGz([("train/a/1.jpg", Jpg(1)), ("train/a/2.jpg", Utf8("this is not a jpeg at all, just text")), ("train/b/3.jpg", Jpg(3))]));
        using var tree = FileTree.Open(dir);
        var s = ImageFolder.Read(tree, "toy", "train", null, 3);
        var e = Assert.Throws<InvalidDataException>(() => s.Load(new DecodeSpec(8)));
        Assert.Contains("imgs.tar.gz!train/a/2.jpg: undecodable image", e.Message);
    }

    [Fact]
    public void Oxford_pets_reads_the_annotation_lists_from_archives_with_names_from_the_image_ids()
    {
        var dir = TestSupport.TempDir("pets");
        File.WriteAllBytes(Path.Combine(dir, "images.tar.gz"), TarGz([("images/Abyssinian_1.jpg", Jpg(1)), ("images/american_bulldog_2.jpg", Jpg(2)), ("images/Bengal_3.jpg", Jpg(3))]));
        File.WriteAllBytes(Path.Combine(dir, "annotations.tar.gz"), TarGz([
            ("annotations/trainval.txt", Utf8("#Image CLASS-ID SPECIES BREED ID\nAbyssinian_1 1 1 1\namerican_bulldog_2 2 2 1\n")),
            ("annotations/test.txt", Utf8("Bengal_3 3 1 2\n"))]));
        using var tree = FileTree.Open(dir);
        var s = OxfordPets.Read(tree, "trainval");
        Assert.Equal(["Abyssinian", "american bulldog", "Bengal"], s.ClassNames);
        Assert.Equal([0, 1], s.Labels);
        Assert.Equal([2], OxfordPets.Read(tree, "test").Labels);
    }

    [Fact]
    public void Flowers102_combines_the_tgz_images_with_both_mat_files()
    {
        var dir = TestSupport.TempDir("flowers");
        File.WriteAllBytes(Path.Combine(dir, "102flowers.tgz"), TarGz(Enumerable.Range(1, 5).Select(i => ($"jpg/image_{i:D5}.jpg", Jpg(i)))));
        File.WriteAllBytes(Path.Combine(dir, "imagelabels.mat"), Mat([("labels", [1, 5], [3, 1, 2, 3, 1], 2)], compressed: true));
        File.WriteAllBytes(Path.Combine(dir, "setid.mat"), Mat([("trnid", [1, 2], [5, 1], 9), ("valid", [1, 1], [2], 9), ("tstid", [1, 2], [3, 4], 9)], compressed: false));
        using var tree = FileTree.Open(dir);
        var train = Flowers102.Read(tree, "train");
        Assert.Equal([0, 2], train.Labels);
        Assert.EndsWith("jpg/image_00005.jpg", train.Describe(0));
        Assert.Equal(3, train.ClassNames.Count);
        Assert.Equal([1, 2], Flowers102.Read(tree, "test").Labels);
        File.WriteAllBytes(Path.Combine(dir, "setid.mat"), Mat([("trnid", [1, 1], [9], 9)], compressed: false));
        using var bad = FileTree.Open(dir);
        Assert.Contains("trnid[0] = 9 is not an image number 1…5", Assert.Throws<InvalidDataException>(() => Flowers102.Read(bad, "train")).Message);
    }

    [Fact]
    public void Fer2013_csv_splits_by_usage_and_names_bad_rows()
    {
        TestSupport.Torch.ToString();
        string Row(int label, string usage, int v) => $"{label},{string.Join(' ', Enumerable.Repeat(v, 2304))},{usage}";
        var dir = TestSupport.TempDir("fer");
        WriteTree(dir, [("fer2013.csv", Utf8($"emotion,pixels,Usage\n{Row(3, "Training", 10)}\n{Row(6, "PrivateTest", 20)}\n{Row(0, "Training", 30)}\n{Row(2, "PublicTest", 40)}\n"))]);
        using (var tree = FileTree.Open(dir))
        {
            var train = Fer2013.Read(tree, "train");
            Assert.Equal([3, 0], train.Labels);
            Assert.Equal([6], Fer2013.Read(tree, "test").Labels);
            Assert.Equal([2], Fer2013.Read(tree, "val").Labels);
            using var set = train.Load(DecodeSpec.Native());
            Assert.Equal(new long[] { 2, 1, 48, 48 }, set.Inputs.shape);
            Assert.Equal(30, set.Inputs[1, 0, 47, 47].item<byte>());
        }
        WriteTree(dir, [("fer2013.csv", Utf8($"emotion,pixels,Usage\n{Row(3, "Training", 10)}\n7,{string.Join(' ', Enumerable.Repeat(1, 2304))},Training\n"))]);
        using (var tree = FileTree.Open(dir))
            Assert.Contains("fer2013.csv line 3: emotion '7' is not a label 0…6", Assert.Throws<InvalidDataException>(() => Fer2013.Read(tree, "train")).Message);
        WriteTree(dir, [("fer2013.csv", Utf8("emotion,pixels,Usage\n1,2 3,Training,extra\n"))]);
        using (var tree = FileTree.Open(dir))
            Assert.Contains("line 2: 4 columns, expected 3", Assert.Throws<InvalidDataException>(() => Fer2013.Read(tree, "train")).Message);
    }

    private static (string, byte[])[] GtsrbOfficial(int badClassId = 1) =>
    [
        ("GTSRB/Final_Training/Images/00000/00000_00000.ppm", Ppm(Pattern(30, 31))),
        ("GTSRB/Final_Training/Images/00000/GT-00000.csv", Utf8("Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\r\n00000_00000.ppm;31;30;5;5;25;25;0\r\n")),
        ("GTSRB/Final_Training/Images/00001/00000_00001.ppm", Ppm(Pattern(40, 41))),
        ("GTSRB/Final_Training/Images/00001/GT-00001.csv", Utf8($"Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\r\n00000_00001.ppm;41;40;5;5;35;35;{badClassId}\r\n")),
        ("GTSRB/Final_Test/Images/00000.ppm", Ppm(Pattern(33, 35))),
    ];

    [Fact]
    public void Gtsrb_official_zips_read_labels_from_the_ground_truth_csvs()
    {
        TestSupport.Torch.ToString();
        var dir = TestSupport.TempDir("gtsrb");
        File.WriteAllBytes(Path.Combine(dir, "GTSRB_Final_Training_Images.zip"), Zip(GtsrbOfficial().Take(4)));
        File.WriteAllBytes(Path.Combine(dir, "GTSRB_Final_Test_Images.zip"), Zip(GtsrbOfficial().Skip(4)));
        File.WriteAllBytes(Path.Combine(dir, "GTSRB_Final_Test_GT.zip"), Zip([("GT-final_test.csv", Utf8("Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n00000.ppm;35;33;5;5;30;30;42\n"))]));
        using var tree = FileTree.Open(dir);
        var train = Gtsrb.Read(tree, "train");
        Assert.Equal([0, 1], train.Labels);
        Assert.Equal(43, train.ClassNames.Count);
        var test = Gtsrb.Read(tree, "test");
        Assert.Equal([42], test.Labels);
        using var set = test.Load(ImagePreset.Lab(32).Decode);
        Assert.Equal(new long[] { 1, 3, 32, 32 }, set.Inputs.shape);
    }

    [Fact]
    public void Gtsrb_named_folder_variant_and_a_class_id_out_of_range()
    {
        var dir = TestSupport.TempDir("gtsrb");
        var names = "Tabelle 1\r\nOrdner_Name;Klasse\r\n" + string.Concat(Enumerable.Range(0, 43).Select(i => $"{i};sign_{i}\r\n"));
        File.WriteAllBytes(Path.Combine(dir, "gtsrb-subset.tar.gz"), TarGz([
            ("./GTSRB_Class_Names.csv", Utf8(names)),
            ("./Final_Training/Images/sign_14/00000_00002.ppm", Ppm(Pattern(35, 35))),
            ("./Final_Training/Images/sign_14/GT-00014.csv", Utf8("Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\r\n00000_00002.ppm;49;46;5;6;44;41;14\r\n")),
            ("./Final_Test/Images/sign_3/01423.ppm", Ppm(Pattern(35, 35))),
            ("./Final_Test/Images/GT-final_test.csv", Utf8("Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\r\n01423.ppm;38;41;5;6;33;36;3\r\n"))]));
        using (var tree = FileTree.Open(dir))
        {
            var train = Gtsrb.Read(tree, "train");
            Assert.Equal([14], train.Labels);
            Assert.Equal("sign_14", train.ClassNames[14]);
            Assert.Equal([3], Gtsrb.Read(tree, "test").Labels);
        }
        var bad = TestSupport.TempDir("gtsrb");
        WriteTree(bad, GtsrbOfficial(badClassId: 43));
        using var badTree = FileTree.Open(bad);
        Assert.Contains("GT-00001.csv line 2: ClassId '43' is not a label 0…42", Assert.Throws<InvalidDataException>(() => Gtsrb.Read(badTree, "train")).Message);
    }

    [Fact]
    public void Fgvc_aircraft_variant_lists_with_spaces_in_names()
    {
        var dir = TestSupport.TempDir("fgvc");
        File.WriteAllBytes(Path.Combine(dir, "fgvc-aircraft-2013b.tar.gz"), TarGz([
            ("fgvc-aircraft-2013b/data/variants.txt", Utf8("707-320\nCessna 172\nF/A-18\n")),
            ("fgvc-aircraft-2013b/data/images_variant_train.txt", Utf8("1025794 Cessna 172\n0034309 F/A-18\n")),
            ("fgvc-aircraft-2013b/data/images_variant_val.txt", Utf8("0056978 707-320\n")),
            ("fgvc-aircraft-2013b/data/images_variant_test.txt", Utf8("1514522 Boeing 999\n")),
            ("fgvc-aircraft-2013b/data/images/1025794.jpg", Jpg(1)), ("fgvc-aircraft-2013b/data/images/0034309.jpg", Jpg(2)),
            ("fgvc-aircraft-2013b/data/images/0056978.jpg", Jpg(3)), ("fgvc-aircraft-2013b/data/images/1514522.jpg", Jpg(4))]));
        using var tree = FileTree.Open(dir);
        Assert.Equal([1, 2], FgvcAircraft.Read(tree, "train").Labels);
        Assert.Equal([1, 2, 0], FgvcAircraft.Read(tree, "trainval").Labels);
        var e = Assert.Throws<InvalidDataException>(() => FgvcAircraft.Read(tree, "test"));
        Assert.Contains("images_variant_test.txt line 1: variant 'Boeing 999' is not in", e.Message);
    }
}
