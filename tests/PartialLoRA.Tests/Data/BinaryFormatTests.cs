using PartialLoRA.Data.Files;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Readers;
using static PartialLoRA.Tests.Data.DataFixtures;

namespace PartialLoRA.Tests.Data;

/// <summary>CIFAR binary batches, IDX files and MAT v5 files, built by the tests (and two made by scipy).</summary>
public class BinaryFormatTests
{
    private static readonly (int, RawImage)[] ThreeImages = [(3, Pattern(32, 32, 3, 1)), (0, Pattern(32, 32, 3, 2)), (9, Pattern(32, 32, 3, 3))];

    private static string CifarFolder(byte[] testBatch, bool asArchive)
    {
        var dir = TestSupport.TempDir("cifar");
        var files = new List<(string, byte[])> { ("cifar-10-batches-bin/test_batch.bin", testBatch), ("cifar-10-batches-bin/batches.meta.txt", Utf8(string.Join("\n", Cifar.Cifar10Classes) + "\n\n")) };
        for (int i = 1; i <= 5; i++) files.Add(($"cifar-10-batches-bin/data_batch_{i}.bin", CifarRecords([(i, Pattern(32, 32, 3, 10 + i))])));
        if (asArchive) File.WriteAllBytes(Path.Combine(dir, "cifar-10-binary.tar.gz"), TarGz(files));
        else WriteTree(dir, files);
        return dir;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_three_image_cifar_batch_gives_labels_and_chw_pixels(bool asArchive)
    {
        TestSupport.Torch.ToString();
        using var tree = FileTree.Open(CifarFolder(CifarRecords(ThreeImages), asArchive));
        var test = Cifar.Read10(tree, "test");
        Assert.Equal([3, 0, 9], test.Labels);
        Assert.Equal("truck", test.ClassNames[9]);
        using var set = test.Load(DecodeSpec.Native());
        Assert.Equal(new long[] { 3, 3, 32, 32 }, set.Inputs.shape);
        var img = ThreeImages[2].Item2;
        Assert.Equal(img.Pixels[(5 * 32 + 7) * 3 + 1], set.Inputs[2, 1, 5, 7].item<byte>());   // row 5, col 7, green
        var train = Cifar.Read10(tree, "train");
        Assert.Equal([1, 2, 3, 4, 5], train.Labels);
        Assert.Contains("data_batch_5.bin record 0", train.Describe(4));
    }

    [Fact]
    public void Cifar100_uses_the_fine_label_and_its_names()
    {
        var dir = TestSupport.TempDir("cifar100");
        var fine = string.Join("\n", Enumerable.Range(0, 100).Select(i => $"class_{i}"));
        WriteTree(dir, [("cifar-100-binary/train.bin", CifarRecords([(42, Pattern(32, 32)), (99, Pattern(32, 32))], labelBytes: 2)),
                        ("cifar-100-binary/test.bin", CifarRecords([(7, Pattern(32, 32))], labelBytes: 2)),
                        ("cifar-100-binary/fine_label_names.txt", Utf8(fine))]);
        using var tree = FileTree.Open(dir);
        var s = Cifar.Read100(tree, "train");
        Assert.Equal([42, 99], s.Labels);
        Assert.Equal("class_42", s.ClassNames[42]);
    }

    [Fact]
    public void Cifar_errors_name_the_file_and_record()
    {
        var records = CifarRecords(ThreeImages);
        using (var tree = FileTree.Open(CifarFolder(records[..^10], false)))
        {
            var e = Assert.Throws<InvalidDataException>(() => Cifar.Read10(tree, "test"));
            Assert.Contains("test_batch.bin", e.Message);
            Assert.Contains("3073-byte", e.Message);
        }
        records[3073] = 12;   // second record's label
        using (var tree = FileTree.Open(CifarFolder(records, true)))
        {
            var e = Assert.Throws<InvalidDataException>(() => Cifar.Read10(tree, "test"));
            Assert.Contains("cifar-10-binary.tar.gz!cifar-10-batches-bin/test_batch.bin: record 1 has label 12", e.Message);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_tiny_idx_pair_reads_as_fashion_mnist(bool gzip)
    {
        TestSupport.Torch.ToString();
        var dir = TestSupport.TempDir("idx");
        var pixels = Enumerable.Range(0, 2 * 28 * 28).Select(i => (double)(i % 251)).ToArray();
        var ext = gzip ? ".gz" : "";
        WriteTree(dir, [($"train-images-idx3-ubyte{ext}", Idx(0x08, [2, 28, 28], pixels, gzip)), ($"train-labels-idx1-ubyte{ext}", Idx(0x08, [2], [9, 4], gzip)),
                        ($"t10k-images-idx3-ubyte{ext}", Idx(0x08, [1, 28, 28], pixels[..784], gzip)), ($"t10k-labels-idx1-ubyte{ext}", Idx(0x08, [1], [0], gzip))]);
        using var tree = FileTree.Open(dir);
        var train = FashionMnist.Read(tree, "train");
        Assert.Equal([9, 4], train.Labels);
        Assert.Equal(1, train.Channels);
        using var set = train.Load(DecodeSpec.Native());
        Assert.Equal(new long[] { 2, 1, 28, 28 }, set.Inputs.shape);
        Assert.Equal((byte)((784 + 28 * 3 + 5) % 251), set.Inputs[1, 0, 3, 5].item<byte>());
    }

    [Fact]
    public void Idx_reads_every_type_big_endian_and_names_bad_files()
    {
        var f = IdxFile.Read(Idx(0x0D, [2, 2], [1.5, -2, 3.25, 1e6]), "f.idx");
        Assert.Equal([2, 2], f.Dims);
        Assert.Equal(3.25, f[2]);
        Assert.Equal(-300, IdxFile.Read(Idx(0x0B, [1], [-300]), "s")[0]);
        Assert.Equal(-5, IdxFile.Read(Idx(0x09, [1], [-5]), "b")[0]);
        Assert.Equal(123456789, IdxFile.Read(Idx(0x0C, [1], [123456789]), "i")[0]);
        Assert.Equal(0.1, IdxFile.Read(Idx(0x0E, [1], [0.1]), "d")[0]);
        var full = Idx(0x08, [3, 2], [1, 2, 3, 4, 5, 6]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => IdxFile.Read(full[..^2], "x.idx")).Message);
        var bad = full.ToArray();
        bad[2] = 0x07;
        Assert.Contains("x.idx: IDX type code 0x07", Assert.Throws<InvalidDataException>(() => IdxFile.Read(bad, "x.idx")).Message);
    }

    [Fact]
    public void Fashion_mnist_label_out_of_range_and_count_mismatch_are_named()
    {
        var dir = TestSupport.TempDir("idx");
        WriteTree(dir, [("train-images-idx3-ubyte", Idx(0x08, [2, 28, 28], new double[2 * 784])), ("train-labels-idx1-ubyte", Idx(0x08, [2], [1, 10])),
                        ("t10k-images-idx3-ubyte", Idx(0x08, [2, 28, 28], new double[2 * 784])), ("t10k-labels-idx1-ubyte", Idx(0x08, [1], [1]))]);
        using var tree = FileTree.Open(dir);
        Assert.Contains("train-labels-idx1-ubyte: label 10 at index 1", Assert.Throws<InvalidDataException>(() => FashionMnist.Read(tree, "train")).Message);
        Assert.Contains("has 2 images but", Assert.Throws<InvalidDataException>(() => FashionMnist.Read(tree, "test")).Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_hand_built_mat_v5_file_reads_plain_compressed_and_big_endian(bool compressed, bool bigEndian)
    {
        var bytes = Mat([("labels", [1, 5], [1, 2, 2, 3, 1], 9), ("m", [2, 3], [1, 4, 2, 5, 3, 6], 3), ("u8", [1, 2], [200, 7], 2)], compressed, bigEndian);
        var mat = MatFile.Read(bytes, "t.mat");
        Assert.Equal([1, 2, 2, 3, 1], MatFile.Integers(mat, "labels", "t.mat"));
        Assert.Equal([2, 3], mat["m"].Dims);
        Assert.Equal([1.0, 4, 2, 5, 3, 6], mat["m"].Values);   // column-major
        Assert.Equal([200.0, 7], mat["u8"].Values);
    }

    [Fact]
    public void Mat_files_written_by_scipy_read_the_same()
    {
        // scipy.io.savemat (scipy 1.10) of {'labels': [[1,2,2,3,1]] float64, 'm': [[1,2,3],[4,5,6]] int16, 'u': [[7,8]] uint8, 'name': 'hello'}, compressed
        var compressed = Convert.FromBase64String("TUFUTEFCIDUuMCBNQVQtZmlsZSBQbGF0Zm9ybTogcG9zaXgsIENyZWF0ZWQgb246IE1vbiBOb3YgMjMgMDI6MTM6MDQgMjAyNgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSU0PAAAANgAAAHic42NgYEgAYjYg5oDSIMAK5TNC2YxQuZzEpNScYgYGTiBbgwEGPthDGQ6oNIcDTB4A/J8GZw8AAAAvAAAAeJzjY2BgcABiNiDmAGIuBghghfKZgJgZiBmBMBfK5gHzWYByrEA+G1g9ACwEAQwPAAAAKAAAAHic42NgYDAAYjYg5gBiTgYIYIXyGYGYCUwzMpSC2UwM7EAJABiaAPAPAAAALAAAAHic42NgYLAAYjYg5gBiFgYIYIXyGaFsRqBMXmJuqgCUn5Gak5MPpAFDXQQ7");
        var c = MatFile.Read(compressed, "scipy.mat");
        Assert.Equal([1, 2, 2, 3, 1], MatFile.Integers(c, "labels", "scipy.mat"));
        Assert.Equal([1.0, 4, 2, 5, 3, 6], c["m"].Values);
        Assert.Equal([7.0, 8], c["u"].Values);
        Assert.Equal("char", c["name"].Class);
        Assert.Contains("'name' is a char array", Assert.Throws<InvalidDataException>(() => MatFile.Integers(c, "name", "scipy.mat")).Message);
        // the same, uncompressed, plus 'big' = 1.5 * [0..39]
        var plain = Convert.FromBase64String("TUFUTEFCIDUuMCBNQVQtZmlsZSBQbGF0Zm9ybTogcG9zaXgsIENyZWF0ZWQgb246IE1vbiBOb3YgMjMgMDI6MTM6MDQgMjAyNgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSU0OAAAAYAAAAAYAAAAIAAAABgAAAAAAAAAFAAAACAAAAAEAAAAFAAAAAQAAAAYAAABsYWJlbHMAAAkAAAAoAAAAAAAAAAAA8D8AAAAAAAAAQAAAAAAAAABAAAAAAAAACEAAAAAAAADwPw4AAABAAAAABgAAAAgAAAAKAAAAAAAAAAUAAAAIAAAAAgAAAAMAAAABAAEAbQAAAAMAAAAMAAAAAQAEAAIABQADAAYAAAAAAA4AAABwAQAABgAAAAgAAAAGAAAAAAAAAAUAAAAIAAAAAQAAACgAAAABAAMAYmlnAAkAAABAAQAAAAAAAAAAAAAAAAAAAAD4PwAAAAAAAAhAAAAAAAAAEkAAAAAAAAAYQAAAAAAAAB5AAAAAAAAAIkAAAAAAAAAlQAAAAAAAAChAAAAAAAAAK0AAAAAAAAAuQAAAAAAAgDBAAAAAAAAAMkAAAAAAAIAzQAAAAAAAADVAAAAAAACANkAAAAAAAAA4QAAAAAAAgDlAAAAAAAAAO0AAAAAAAIA8QAAAAAAAAD5AAAAAAACAP0AAAAAAAIBAQAAAAAAAQEFAAAAAAAAAQkAAAAAAAMBCQAAAAAAAgENAAAAAAABAREAAAAAAAABFQAAAAAAAwEVAAAAAAACARkAAAAAAAEBHQAAAAAAAAEhAAAAAAADASEAAAAAAAIBJQAAAAAAAQEpAAAAAAAAAS0AAAAAAAMBLQAAAAAAAgExAAAAAAABATUA=");
        var p = MatFile.Read(plain, "plain.mat");
        Assert.Equal(Enumerable.Range(0, 40).Select(i => 1.5 * i), p["big"].Values);
        Assert.Equal([1.0, 4, 2, 5, 3, 6], p["m"].Values);
    }

    [Fact]
    public void Mat_errors_name_the_file()
    {
        var bytes = Mat([("labels", [1, 5], [1, 2, 2, 3, 1], 9)], compressed: false);
        Assert.Contains("t.mat: data element at byte", Assert.Throws<InvalidDataException>(() => MatFile.Read(bytes[..^12], "t.mat")).Message);
        Assert.Contains("no variable 'setid'", Assert.Throws<InvalidDataException>(() => MatFile.Integers(MatFile.Read(bytes, "t.mat"), "setid", "t.mat")).Message);
        Assert.Contains("not a level-5 MAT-file", Assert.Throws<InvalidDataException>(() => MatFile.Read(new byte[200], "z.mat")).Message);
    }
}
