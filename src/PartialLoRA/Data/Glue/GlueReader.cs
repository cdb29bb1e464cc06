using System.Globalization;
using PartialLoRA.Data.Files;

namespace PartialLoRA.Data.Glue;

/// <summary>
/// Reads GLUE's TSV files into examples. Splits: <c>train</c> (GLUE's train set), <c>validation</c> (GLUE's dev set,
/// which the paper and common practice report) and <c>test</c> (GLUE's unlabelled test set; labels −1).
/// Task layouts and the quirks of the offline copies in shared/data:
/// <list type="bullet">
/// <item>SST-2: <c>sentence  label</c> with header; GLUE's test.tsv is <c>index  sentence</c>. When test.tsv is labelled
/// (<c>sentence  label</c>: the offline copy), train.tsv + dev.tsv are GLUE's train set and test.tsv is GLUE's dev set.</item>
/// <item>MRPC: header <c>Quality  #1 ID  #2 ID  #1 String  #2 String</c> (with a BOM), test.tsv starts with <c>index</c>.
/// Without train.tsv, GLUE's own preparation is applied to the original files: <c>msr_paraphrase_train.txt</c> split
/// by <c>mrpc_dev_ids.tsv</c> into train and validation; <c>msr_paraphrase_test.txt</c> is the test set.</item>
/// <item>CoLA: no header, <c>source  label  original_mark  sentence</c>; test.tsv is <c>index  sentence</c>. A val.tsv
/// beside train.tsv (the offline copy) holds the rest of GLUE's train set and is appended to it.</item>
/// <item>QNLI: header <c>index  question  sentence  label</c>, labels <c>entailment</c>/<c>not_entailment</c>.
/// Offline there is only dev.tsv; see <see cref="GlueSplits.SplitDev"/>.</item>
/// </list>
/// </summary>
public static class GlueReader
{
    public static readonly string[] Splits = ["train", "validation", "test"];

    public static GlueSplit Read(FileTree tree, GlueTask task, string split)
    {
        if (!Splits.Contains(split)) throw new ArgumentException($"glue: split '{split}' is not train, validation or test");
        var info = GlueTaskInfo.Of(task);
        return task switch
        {
            GlueTask.Sst2 => Sst2(tree, info, split),
            GlueTask.Mrpc => Mrpc(tree, info, split),
            GlueTask.Cola => Cola(tree, info, split),
            _ => Qnli(tree, info, split),
        };
    }

    private static FileEntry Need(FileTree tree, GlueTaskInfo info, string name) =>
        tree.FindByName(name).FirstOrDefault() ?? throw new FileNotFoundException($"{info.Name}: {name} not found in {string.Join(", ", tree.Containers)}");

    private static TsvTable Table(FileTree tree, FileEntry f, bool header, int? columns = null) =>
        TsvTable.Parse(tree.ReadAllBytes(f), f.Describe(), header, columns);

    private static GlueSplit Sst2(FileTree tree, GlueTaskInfo info, string split)
    {
        var test = tree.FindByName("test.tsv").FirstOrDefault();
        var offline = test != null && Table(tree, test, true).Header is ["sentence", "label"];
        var files = (split, offline) switch
        {
            ("train", true) => new[] { "train.tsv", "dev.tsv" },
            ("validation", true) => ["test.tsv"],
            ("test", true) => throw new FileNotFoundException($"{info.Name}: this copy has no unlabelled GLUE test set (its test.tsv is GLUE's dev set)"),
            ("train", false) => ["train.tsv"],
            ("validation", false) => ["dev.tsv"],
            _ => ["test.tsv"],
        };
        return Build(info, split, files.Select(f => Need(tree, info, f)).ToList(), f =>
        {
            var t = Table(tree, f, true);
            if (t.Header is ["index", "sentence"])
                return t.Rows.Select((r, i) => (r[1], (string?)null, -1, t.LineNumbers[i])).ToList();
            int s = t.Column("sentence"), l = t.Column("label");
            return t.Rows.Select((r, i) => (r[s], (string?)null, Label(info, r[l], t, i), t.LineNumbers[i])).ToList();
        });
    }

    private static GlueSplit Mrpc(FileTree tree, GlueTaskInfo info, string split)
    {
        List<(string, string?, int, int)> Pairs(TsvTable t, HashSet<(string, string)>? keep, bool inDev)
        {
            var labelled = t.Header?[0] == "Quality";
            int a = t.Column("#1 String"), b = t.Column("#2 String"), id1 = t.Column("#1 ID"), id2 = t.Column("#2 ID");
            var rows = new List<(string, string?, int, int)>();
            for (int i = 0; i < t.Rows.Count; i++)
            {
                var r = t.Rows[i];
                if (keep != null && keep.Contains((r[id1], r[id2])) != inDev) continue;
                rows.Add((r[a], r[b], labelled ? Label(info, r[0], t, i) : -1, t.LineNumbers[i]));
            }
            return rows;
        }
        if (tree.FindByName("train.tsv").Count > 0)
        {
            var file = Need(tree, info, split switch { "train" => "train.tsv", "validation" => "dev.tsv", _ => "test.tsv" });
            return Build(info, split, [file], f => Pairs(Table(tree, f, true, 5), null, false));
        }
        if (split == "test")
            return Build(info, split, [Need(tree, info, "msr_paraphrase_test.txt")], f => Pairs(Table(tree, f, true, 5), null, false));
        var devIds = Need(tree, info, "mrpc_dev_ids.tsv");
        var ids = Table(tree, devIds, false, 2).Rows.Select(r => (r[0], r[1])).ToHashSet();
        return Build(info, split, [Need(tree, info, "msr_paraphrase_train.txt")], f => Pairs(Table(tree, f, true, 5), ids, split == "validation"));
    }

    private static GlueSplit Cola(FileTree tree, GlueTaskInfo info, string split)
    {
        var files = split switch
        {
            "train" => new[] { "train.tsv" }.Concat(tree.FindByName("val.tsv").Count > 0 ? ["val.tsv"] : Array.Empty<string>()).ToArray(),
            "validation" => ["dev.tsv"],
            _ => ["test.tsv"],
        };
        return Build(info, split, files.Select(f => Need(tree, info, f)).ToList(), f =>
        {
            if (split == "test")
            {
                var t = Table(tree, f, true, 2);
                return t.Rows.Select((r, i) => (r[t.Column("sentence")], (string?)null, -1, t.LineNumbers[i])).ToList();
            }
            var u = Table(tree, f, false, 4);
            return u.Rows.Select((r, i) => (r[3], (string?)null, Label(info, r[1], u, i), u.LineNumbers[i])).ToList();
        });
    }

    private static GlueSplit Qnli(FileTree tree, GlueTaskInfo info, string split)
    {
        var name = split switch { "train" => "train.tsv", "validation" => "dev.tsv", _ => "test.tsv" };
        if (split == "train" && tree.FindByName("train.tsv").Count == 0 && tree.FindByName("dev.tsv").Count > 0)
            throw new FileNotFoundException($"{info.Name}: train.tsv not found in {string.Join(", ", tree.Containers)}; this copy has only GLUE's dev set — " +
                                            "download QNLIv2.zip, or split the dev set with GlueSplits.SplitDev (data split 'dev-train'/'dev-test')");
        return Build(info, split, [Need(tree, info, name)], f =>
        {
            var t = Table(tree, f, true);
            int q = t.Column("question"), s = t.Column("sentence");
            var l = t.Header!.Contains("label") ? t.Column("label") : -1;
            return t.Rows.Select((r, i) => (r[q], (string?)r[s], l < 0 ? -1 : Label(info, r[l], t, i), t.LineNumbers[i])).ToList();
        });
    }

    private static int Label(GlueTaskInfo info, string raw, TsvTable t, int row)
    {
        var v = raw.Trim();
        var byName = Array.IndexOf(info.Labels, v);
        if (byName >= 0) return byName;
        if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < info.Labels.Length) return n;
        throw new InvalidDataException($"{t.Source} line {t.LineNumbers[row]}: label '{raw}' is not one of {string.Join(", ", Enumerable.Range(0, info.Labels.Length).Select(i => $"{i}/{info.Labels[i]}"))}");
    }

    private static GlueSplit Build(GlueTaskInfo info, string split, IReadOnlyList<FileEntry> files,
        Func<FileEntry, List<(string Text, string? Pair, int Label, int Line)>> read)
    {
        var examples = new List<TextExample>();
        foreach (var f in files)
            foreach (var (text, pair, label, line) in read(f))
                examples.Add(new TextExample(examples.Count, text, pair, label));
        return new GlueSplit(info, split, examples, files.Select(f => f.Describe()).ToList());
    }
}
