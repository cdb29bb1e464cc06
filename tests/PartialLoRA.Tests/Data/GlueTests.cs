using PartialLoRA.Data;
using PartialLoRA.Data.Files;
using PartialLoRA.Data.Glue;
using PartialLoRA.Text;
using static PartialLoRA.Tests.Data.DataFixtures;

namespace PartialLoRA.Tests.Data;

public class GlueTests
{
    /// <summary>Lower-cased whitespace tokens with [CLS]=1, [SEP]=2, pad=0; ids by first appearance.</summary>
    public sealed class WhitespaceTokenizer : ITextTokenizer
    {
        private readonly Dictionary<string, int> vocab = new() { ["[PAD]"] = 0, ["[CLS]"] = 1, ["[SEP]"] = 2 };
        public int VocabSize => 1 << 20;
        public int PadId => 0;

        public IReadOnlyList<int> Encode(string text, string? pair = null, int maxLength = 128)
        {
            int Id(string w)
            {
                lock (vocab)
                {
                    if (!vocab.TryGetValue(w, out var id)) vocab[w] = id = vocab.Count;
                    return id;
                }
            }
            var ids = new List<int> { 1 };
            ids.AddRange(text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Id));
            ids.Add(2);
            if (pair != null)
            {
                ids.AddRange(pair.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Id));
                ids.Add(2);
            }
            return ids.Count > maxLength ? [.. ids.Take(maxLength - 1), 2] : ids;
        }
    }

    [Fact]
    public void Tsv_keeps_quotes_literal_and_empty_fields_and_strips_a_bom_and_crlf()
    {
        var t = TsvTable.Parse(Utf8("\uFEFFQuality\t#1 String\t#2 String\r\n1\t\"quoted start\tends with a quote\"\r\n0\t\t\r\n"), "m.tsv", hasHeader: true);
        Assert.Equal(["Quality", "#1 String", "#2 String"], t.Header);
        Assert.Equal(["1", "\"quoted start", "ends with a quote\""], t.Rows[0]);
        Assert.Equal(["0", "", ""], t.Rows[1]);
        Assert.Equal([2, 3], t.LineNumbers);
    }

    [Fact]
    public void A_row_with_the_wrong_column_count_names_the_file_and_line()
    {
        var e = Assert.Throws<InvalidDataException>(() => TsvTable.Parse(Utf8("a\tb\n1\t2\n3\n4\t5\n"), "glue/x/train.tsv", hasHeader: true));
        Assert.Equal("glue/x/train.tsv line 3: 1 columns, expected 2", e.Message);
        var n = Assert.Throws<InvalidDataException>(() => TsvTable.Parse(Utf8("s\t1\t\tok\ns\t1\tok\n"), "cola.tsv", hasHeader: false, columns: 4));
        Assert.Contains("cola.tsv line 2", n.Message);
    }

    private static FileTree Tree(params (string, string)[] files)
    {
        var dir = TestSupport.TempDir("glue");
        WriteTree(dir, files.Select(f => (f.Item1, Utf8(f.Item2))));
        return FileTree.Open(dir);
    }

    [Fact]
    public void Sst2_offline_layout_joins_train_and_dev_and_uses_test_as_glue_dev()
    {
        using var offline = Tree(("train.tsv", "sentence\tlabel\na b \t1\n"), ("dev.tsv", "sentence\tlabel\nc \t0\n"), ("test.tsv", "sentence\tlabel\nd e \t1\nf\t0\n"));
        var train = GlueReader.Read(offline, GlueTask.Sst2, "train");
        Assert.Equal(["a b ", "c "], train.Examples.Select(e => e.Text));
        Assert.Equal([1, 0], train.Labels);
        Assert.Equal(2, GlueReader.Read(offline, GlueTask.Sst2, "validation").Count);
        Assert.Throws<FileNotFoundException>(() => GlueReader.Read(offline, GlueTask.Sst2, "test"));

        using var official = Tree(("train.tsv", "sentence\tlabel\na\t1\n"), ("dev.tsv", "sentence\tlabel\nb\t0\n"), ("test.tsv", "index\tsentence\n0\tc\n"));
        Assert.Equal(["b"], GlueReader.Read(official, GlueTask.Sst2, "validation").Examples.Select(e => e.Text));
        var test = GlueReader.Read(official, GlueTask.Sst2, "test");
        Assert.False(test.IsLabelled);
    }

    [Fact]
    public void Mrpc_reads_pairs_with_a_bom_header_and_from_the_original_msr_files()
    {
        const string header = "\uFEFFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n";
        using var glue = Tree(("train.tsv", header + "1\t11\t12\tHe said \"hi\".\t\"Hi,\" he said.\n"), ("dev.tsv", header + "0\t21\t22\tx\ty\n"),
            ("test.tsv", "index\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t31\t32\tp\tq\n"));
        var tr = GlueReader.Read(glue, GlueTask.Mrpc, "train").Examples.Single();
        Assert.Equal(("He said \"hi\".", "\"Hi,\" he said.", 1), (tr.Text, tr.Pair, tr.Label));
        Assert.Equal(-1, GlueReader.Read(glue, GlueTask.Mrpc, "test").Examples.Single().Label);

        using var msr = Tree(("msr_paraphrase_train.txt", header + "1\t1\t2\ta\tb\n0\t3\t4\tc\td\n1\t5\t6\te\tf\n"), ("mrpc_dev_ids.tsv", "3\t4\n"),
            ("msr_paraphrase_test.txt", header + "1\t7\t8\tg\th\n"));
        Assert.Equal(["a", "e"], GlueReader.Read(msr, GlueTask.Mrpc, "train").Examples.Select(e => e.Text));
        Assert.Equal(["c"], GlueReader.Read(msr, GlueTask.Mrpc, "validation").Examples.Select(e => e.Text));
        Assert.Equal([1], GlueReader.Read(msr, GlueTask.Mrpc, "test").Labels);
    }

    [Fact]
    public void Cola_has_no_header_appends_val_to_train_and_reads_the_indexed_test_file()
    {
        using var t = Tree(("train.tsv", "gj04\t1\t\tThe sailors rode.\ngj04\t0\t*\tRode the.\n"), ("val.tsv", "gj04\t1\t\tBill broke it.\n"),
            ("dev.tsv", "gj04\t1\t\tA dev one."), ("test.tsv", "index\tsentence\n0\tBill whistled.\n"));
        var train = GlueReader.Read(t, GlueTask.Cola, "train");
        Assert.Equal(["The sailors rode.", "Rode the.", "Bill broke it."], train.Examples.Select(e => e.Text));
        Assert.Equal([1, 0, 1], train.Labels);
        Assert.Equal(["A dev one."], GlueReader.Read(t, GlueTask.Cola, "validation").Examples.Select(e => e.Text));
        Assert.Equal("Bill whistled.", GlueReader.Read(t, GlueTask.Cola, "test").Examples.Single().Text);
    }

    [Fact]
    public void Qnli_maps_string_labels_and_explains_a_missing_train_set()
    {
        using var t = Tree(("dev.tsv", "index\tquestion\tsentence\tlabel\n0\tWhat?\tThis.\tentailment\n1\tWho?\tThat.\tnot_entailment\n"));
        var dev = GlueReader.Read(t, GlueTask.Qnli, "validation");
        Assert.Equal([0, 1], dev.Labels);
        Assert.Equal("This.", dev.Examples[0].Pair);
        var e = Assert.Throws<FileNotFoundException>(() => GlueReader.Read(t, GlueTask.Qnli, "train"));
        Assert.Contains("dev-train", e.Message);

        using var bad = Tree(("dev.tsv", "index\tquestion\tsentence\tlabel\n0\tq\ts\tcontradiction\n"));
        var l = Assert.Throws<InvalidDataException>(() => GlueReader.Read(bad, GlueTask.Qnli, "validation"));
        Assert.Contains("dev.tsv line 2: label 'contradiction'", l.Message);
    }

    [Fact]
    public void The_dev_split_is_stratified_disjoint_and_seeded()
    {
        var rows = string.Concat(Enumerable.Range(0, 100).Select(i => $"{i}\tq{i}\ts{i}\t{(i % 4 == 0 ? "entailment" : "not_entailment")}\n"));
        using var t = Tree(("dev.tsv", "index\tquestion\tsentence\tlabel\n" + rows));
        var dev = GlueReader.Read(t, GlueTask.Qnli, "validation");
        var (train, test) = GlueSplits.SplitDev(dev, seed: 1);
        Assert.Equal(80, train.Count);
        Assert.Equal(20, test.Count);
        Assert.Equal(5, test.Labels.Count(l => l == 0));   // 20% of the 25 entailment rows
        Assert.Empty(train.Examples.Select(e => e.Index).Intersect(test.Examples.Select(e => e.Index)));
        Assert.Equal(test.Examples.Select(e => e.Index), GlueSplits.SplitDev(dev, 1).Test.Examples.Select(e => e.Index));
        Assert.NotEqual(test.Examples.Select(e => e.Index), GlueSplits.SplitDev(dev, 2).Test.Examples.Select(e => e.Index));
    }

    [Fact]
    public void Encoding_pads_to_the_longest_row_masks_padding_and_batches_trim_to_their_longest()
    {
        TestSupport.Torch.ToString();
        using var t = Tree(("dev.tsv", "index\tquestion\tsentence\tlabel\n0\ta b c d e\tf\tentailment\n1\tg\th\tnot_entailment\n2\ti\tk\tentailment\n"));
        var split = GlueReader.Read(t, GlueTask.Qnli, "validation");
        using var set = TextEncoder.Encode(split, new WhitespaceTokenizer(), maxLength: 6);
        Assert.Equal(new long[] { 3, 6 }, set.Inputs.shape);   // [CLS] a b c d [SEP] after truncation
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 0 }, set.AttentionMask!.data<long>().ToArray()[6..12]);   // [CLS] g [SEP] h [SEP] pad
        Assert.Equal(0L, set.Inputs[1, 5].item<long>());
        Assert.Equal(TaskType.SentencePairClassification, set.Task);
        var batches = set.Batches(2, device: TorchSharp.torch.CPU).ToList();
        Assert.Equal(new long[] { 2, 6 }, batches[0].Inputs.shape);
        Assert.Equal(new long[] { 1, 5 }, batches[1].Inputs.shape);   // [CLS] i [SEP] k [SEP]
        foreach (var b in batches) b.Dispose();
    }
}
