using System.Text;
using PartialLoRA.Experiments;
using static PartialLoRA.Tests.Experiments.ExperimentSupport;

namespace PartialLoRA.Tests.Experiments;

public class ResultsStoreTests
{
    [Fact]
    public void Appends_one_line_per_run_and_reads_them_back()
    {
        var dir = TestSupport.TempDir("store");
        var a = Record(Config(seed: 0), 0.8, 0.7);
        var b = Record(Config(seed: 1), 0.9, 0.85);
        using (var w = ResultsWriter.Open(dir, null))
        {
            Assert.True(w.Append(a));
            Assert.True(w.Append(b));
            Assert.False(w.Append(Record(Config(seed: 0), 0.1, 0.1))); // same key: not written again
        }
        var lines = File.ReadAllLines(Path.Combine(dir, "results.jsonl"));
        Assert.Equal(2, lines.Length);
        var read = ResultsStore.Load(dir);
        Assert.Equal([a.Key, b.Key], read.Runs.Select(r => r.Key));
        Assert.Equal(0.9, read.Runs[1].Validation!["accuracy"]);
        Assert.Equal(0.85, read.Runs[1].Test!["accuracy"]);
        Assert.Equal(1, read.Runs[1].Seed);
        Assert.Equal(1e-3, read.Runs[1].LearningRate);
        Assert.Empty(read.Warnings);
        // No temp files left behind.
        Assert.Equal(["results.jsonl"], Directory.GetFiles(dir).Select(Path.GetFileName).Where(n => !n!.EndsWith(".lock")));
    }

    [Fact]
    public void A_torn_last_line_is_skipped_and_dropped_by_the_next_append()
    {
        var dir = TestSupport.TempDir("store");
        var file = Path.Combine(dir, "results.jsonl");
        var a = Record(Config(seed: 0), 0.8, 0.7);
        File.WriteAllText(file, ResultsStore.Line(a) + ResultsStore.Line(Record(Config(seed: 1), 0.9, 0.9))[..50]);
        var read = ResultsStore.Load(dir);
        Assert.Equal([a.Key], read.Runs.Select(r => r.Key));
        Assert.Contains("results.jsonl:2: incomplete last line skipped", Assert.Single(read.Warnings));
        var b = Record(Config(seed: 2), 0.5, 0.5);
        using (var w = ResultsWriter.Open(dir, null)) Assert.True(w.Append(b));
        var text = File.ReadAllText(file);
        Assert.Equal(ResultsStore.Line(a) + ResultsStore.Line(b), text);
        Assert.Empty(ResultsStore.Load(dir).Warnings);
    }

    [Fact]
    public void A_corrupt_or_edited_line_is_an_error_naming_file_and_line()
    {
        var dir = TestSupport.TempDir("store");
        var file = Path.Combine(dir, "results.jsonl");
        var good = ResultsStore.Line(Record(Config(seed: 0), 0.8, 0.7));
        File.WriteAllText(file, "{not json\n" + good);
        Assert.Contains("results.jsonl:1: corrupt result line", Assert.Throws<SpecException>(() => ResultsStore.Load(dir)).Message);
        File.WriteAllText(file, good + good.Replace("\"seed\":0", "\"seed\":5"));
        var e = Assert.Throws<SpecException>(() => ResultsStore.Load(dir));
        Assert.Contains("results.jsonl:2: key:", e.Message);
        Assert.Contains("not the SHA-256 of this line's config", e.Message);
    }

    [Fact]
    public void A_second_writer_on_the_same_file_is_refused()
    {
        var dir = TestSupport.TempDir("store");
        using var first = ResultsWriter.Open(dir, new Shard(0, 2));
        Assert.Contains("another process is writing", Assert.Throws<SpecException>(() => ResultsWriter.Open(dir, new Shard(0, 2))).Message);
        using var other = ResultsWriter.Open(dir, new Shard(1, 2)); // another shard's file is free
    }

    [Fact]
    public void Cancelling_a_writer_frees_the_store_at_once_and_ends_its_appends()
    {
        var dir = TestSupport.TempDir("store");
        using var cancel = new CancellationTokenSource();
        using var abandoned = ResultsWriter.Open(dir, null, cancel.Token);
        Assert.Throws<SpecException>(() => ResultsWriter.Open(dir, null));
        cancel.Cancel();
        using (var next = ResultsWriter.Open(dir, null)) Assert.True(next.Append(Record(Config(seed: 0), 0.8, 0.7)));
        Assert.Throws<OperationCanceledException>(() => abandoned.Append(Record(Config(seed: 1), 0.8, 0.7)));
        Assert.Single(ResultsStore.Load(dir).Runs);
        Assert.Throws<OperationCanceledException>(() => ResultsWriter.Open(dir, null, cancel.Token));
    }

    [Fact]
    public void Shard_files_are_read_together_deduplicated_and_merged()
    {
        var dir = TestSupport.TempDir("store");
        var a = Record(Config(seed: 0), 0.8, 0.7, shard: "0/2");
        var b = Record(Config(seed: 1), 0.9, 0.9, shard: "1/2");
        using (var w0 = ResultsWriter.Open(dir, new Shard(0, 2))) w0.Append(a);
        using (var w1 = ResultsWriter.Open(dir, new Shard(1, 2)))
        {
            Assert.Contains(a.Key, w1.FinishedKeys); // a shard sees the others' finished runs
            w1.Append(b);
        }
        Assert.True(File.Exists(Path.Combine(dir, "results.shard-000-of-002.jsonl")));
        // A copy of shard 0's file elsewhere: its run counts once.
        var copy = Path.Combine(TestSupport.TempDir("copy"), "results.jsonl");
        File.Copy(Path.Combine(dir, "results.shard-000-of-002.jsonl"), copy);
        var all = ResultsStore.Load([dir, copy]);
        Assert.Equal(2, all.Runs.Count);
        Assert.Equal(1, all.Duplicates);
        var merged = Path.Combine(TestSupport.TempDir("merged"), "merged.jsonl");
        ResultsStore.Merge([dir, copy], merged);
        var m = ResultsStore.Load(merged);
        Assert.Equal(new[] { a.Key, b.Key }.Order(), m.Runs.Select(r => r.Key).Order());
        Assert.Equal(2, File.ReadAllLines(merged, Encoding.UTF8).Length);
    }
}
