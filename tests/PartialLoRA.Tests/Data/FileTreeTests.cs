using PartialLoRA.Data.Files;
using static PartialLoRA.Tests.Data.DataFixtures;

namespace PartialLoRA.Tests.Data;

public class FileTreeTests
{
    private static readonly (string, byte[])[] Files =
    [
        ("train/cat/0001.txt", Utf8("one")),
        ("train/dog/0002.txt", Utf8("two")),
        ("meta.csv", Utf8("a;b\n1;2\n")),
    ];

    [Fact]
    public void A_folder_a_tar_gz_a_plain_tar_and_a_zip_list_and_read_the_same_files()
    {
        var dir = TestSupport.TempDir("tree");
        WriteTree(Path.Combine(dir, "folder"), Files);
        File.WriteAllBytes(Path.Combine(dir, "a.tar.gz"), TarGz(Files.Select(f => ("./" + f.Item1, f.Item2))));
        File.WriteAllBytes(Path.Combine(dir, "b.tar"), TarGz(Files, gzip: false));
        File.WriteAllBytes(Path.Combine(dir, "c.zip"), Zip(Files));
        foreach (var where in new[] { "folder", "a.tar.gz", "b.tar", "c.zip" })
        {
            using var tree = FileTree.Open(Path.Combine(dir, where));
            Assert.Equal(["meta.csv", "train/cat/0001.txt", "train/dog/0002.txt"], tree.Files.Select(f => f.Path));
            Assert.Equal("two", System.Text.Encoding.UTF8.GetString(tree.ReadAllBytes("train/dog/0002.txt")));
            var got = new string[2];
            tree.ReadMany([tree.Find("train/dog/0002.txt")!, tree.Find("train/cat/0001.txt")!], (i, b) => got[i] = System.Text.Encoding.UTF8.GetString(b), 2);
            Assert.Equal(["two", "one"], got);
        }
    }

    [Fact]
    public void A_folder_tree_includes_the_archives_in_it_and_plain_files_win_over_archive_copies()
    {
        var dir = TestSupport.TempDir("tree");
        File.WriteAllBytes(Path.Combine(dir, "images.tar.gz"), TarGz([("images/a.txt", Utf8("from archive")), ("images/b.txt", Utf8("b"))]));
        File.WriteAllBytes(Path.Combine(dir, "ann.zip"), Zip([("annotations/list.txt", Utf8("list"))]));
        WriteTree(dir, [("images/a.txt", Utf8("extracted"))]);
        using var tree = FileTree.Open(dir);
        Assert.Equal(["annotations/list.txt", "images/a.txt", "images/b.txt"], tree.Files.Select(f => f.Path));
        Assert.Equal("extracted", System.Text.Encoding.UTF8.GetString(tree.ReadAllBytes("images/a.txt")));
        Assert.EndsWith("images.tar.gz!images/b.txt", tree.Find("images/b.txt")!.Describe());
        Assert.Equal(3, tree.Containers.Count);
    }

    [Fact]
    public void Entries_that_climb_out_of_the_tree_are_ignored()
    {
        var dir = TestSupport.TempDir("tree");
        File.WriteAllBytes(Path.Combine(dir, "x.zip"), Zip([("../evil.txt", Utf8("no")), ("ok/fine.txt", Utf8("yes"))]));
        using var tree = FileTree.Open(Path.Combine(dir, "x.zip"));
        Assert.Equal(["ok/fine.txt"], tree.Files.Select(f => f.Path));
    }

    [Fact]
    public void A_truncated_tar_gz_names_the_archive_and_the_last_good_entry()
    {
        var dir = TestSupport.TempDir("tree");
        var files = Enumerable.Range(0, 40).Select(i => ($"d/{i:D3}.bin", Enumerable.Range(0, 3000).Select(j => (byte)(i * 7 + j * 13)).ToArray())).ToArray();
        var full = TarGz(files);
        var path = Path.Combine(dir, "cut.tar.gz");
        File.WriteAllBytes(path, full[..(full.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => FileTree.Open(path));
        Assert.Contains("cut.tar.gz", e.Message);
        Assert.Contains("truncated or corrupt", e.Message);
        Assert.Matches(@"after entry 'd/\d{3}\.bin'", e.Message);
    }

    [Fact]
    public void A_tar_gz_that_lost_only_its_gzip_trailer_is_still_reported_as_truncated()
    {
        var dir = TestSupport.TempDir("tree");
        var full = TarGz(Files);
        var path = Path.Combine(dir, "trailer.tar.gz");
        File.WriteAllBytes(path, full[..^4]);
        var e = Assert.Throws<InvalidDataException>(() => FileTree.Open(path));
        Assert.Contains("trailer.tar.gz", e.Message);
        Assert.Contains("cut short", e.Message);
    }

    [Fact]
    public void A_corrupt_zip_is_named()
    {
        var dir = TestSupport.TempDir("tree");
        var path = Path.Combine(dir, "bad.zip");
        File.WriteAllBytes(path, Zip(Files)[..40]);
        var e = Assert.Throws<InvalidDataException>(() => FileTree.Open(path));
        Assert.Contains("bad.zip", e.Message);
    }

    [Fact]
    public void ReadMany_rethrows_the_consumers_exception_unwrapped()
    {
        var dir = TestSupport.TempDir("tree");
        File.WriteAllBytes(Path.Combine(dir, "a.tar.gz"), TarGz(Files));
        using var tree = FileTree.Open(Path.Combine(dir, "a.tar.gz"));
        var e = Assert.Throws<InvalidDataException>(() =>
            tree.ReadMany(tree.Files, (i, _) => { if (i == 1) throw new InvalidDataException("entry 1 is bad"); }, 2));
        Assert.Equal("entry 1 is bad", e.Message);
    }

    [Fact]
    public void An_archive_cut_short_after_listing_fails_the_read_cleanly_with_its_name()
    {
        var dir = TestSupport.TempDir("tree");
        var files = Enumerable.Range(0, 30).Select(i => ($"d/{i:D3}.bin", Enumerable.Range(0, 4000).Select(j => (byte)(i + j * 7)).ToArray())).ToArray();
        var path = Path.Combine(dir, "late.tar.gz");
        var full = TarGz(files);
        File.WriteAllBytes(path, full);
        using var tree = FileTree.Open(path);
        File.WriteAllBytes(path, full[..(full.Length / 3)]);
        var seen = 0;
        var e = Assert.Throws<InvalidDataException>(() => tree.ReadMany(tree.Files, (_, _) => Interlocked.Increment(ref seen), 2));
        Assert.Contains("late.tar.gz: truncated or corrupt archive", e.Message);
        Assert.InRange(seen, 0, 29);
    }
}
