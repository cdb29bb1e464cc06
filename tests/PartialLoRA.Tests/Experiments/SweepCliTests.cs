using System.Diagnostics;
using PartialLoRA.Experiments;
using PartialLoRA.Tests.Training;

namespace PartialLoRA.Tests.Experiments;

/// <summary>The experiment verbs as a user runs them: child processes of the built CLI.</summary>
[Collection(SerialTorchRng.Name)]
public class SweepCliTests
{
    private static readonly Dictionary<string, string?> OneThread = new() { ["PARTIALLORA_THREADS"] = "1", ["PARTIALLORA_DEVICE"] = "cpu" };

    // Runs long enough (12 runs of a few hundred steps) that a kill lands mid-sweep.
    private const string SlowSpec = """
        {
          "name": "kill",
          "model": {"name": "tiny-mlp", "hidden": 48},
          "datasets": [{"name": "synthetic-blobs", "classes": 3, "features": 16, "train_per_class": 300}],
          "methods": ["full", "linear-probe"],
          "seeds": [0, 1, 2],
          "learning_rates": [1e-3, 3e-3],
          "training": {"epochs": 6, "batch_size": 32, "patience": 10}
        }
        """;

    private static string WriteSpec(string dir, string json)
    {
        var path = Path.Combine(dir, "spec.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static int Lines(string file) => File.Exists(file) ? File.ReadAllLines(file).Count(l => l.Length > 0) : 0;

    [Fact]
    public void A_killed_sweep_resumes_without_lost_or_duplicated_runs()
    {
        var dir = TestSupport.TempDir("kill");
        var spec = WriteSpec(dir, SlowSpec);
        var store = Path.Combine(dir, "store");
        var file = Path.Combine(store, "results.jsonl");

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { TestSupport.CliDll, "sweep", spec, "--store", store }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in OneThread) psi.Environment[k] = v;
        using (var p = Process.Start(psi)!)
        {
            p.StandardOutput.ReadToEndAsync();
            p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (Lines(file) < 2 && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(20);
            Assert.False(p.HasExited, "the sweep finished before it could be killed; make the runs longer");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        var before = File.ReadAllLines(file).Where(l => l.Length > 0).ToList();
        Assert.InRange(before.Count, 2, 11);
        var firstKeys = ResultsStore.Load(store).Runs.Select(r => r.Key).ToList();
        Assert.Equal(before.Count, firstKeys.Distinct().Count());

        var r = TestSupport.RunCli(TestSupport.CliDll, ["sweep", spec, "--store", store], OneThread, timeoutMs: 300_000);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains($"12 runs planned, 12 in this shard, {before.Count} already finished, {12 - before.Count} to run", r.Stdout);

        var after = File.ReadAllLines(file).Where(l => l.Length > 0).ToList();
        Assert.Equal(12, after.Count);
        // The finished runs were not re-run: their lines are untouched, in place.
        Assert.Equal(before, after.Take(before.Count));
        var keys = ResultsStore.Load(store).Runs.Select(x => x.Key).ToList();
        Assert.Equal(12, keys.Distinct().Count());
        Assert.Equal(SweepSpec.Load(spec, BuiltInCatalog.Create()).Expand(CodeVersion.Current).Select(x => x.Key).Order(), keys.Order());
        Assert.DoesNotContain(Directory.GetFiles(store), f => f.Contains(".tmp-"));
    }

    [Fact]
    public void Sweep_shards_then_report_merges_them()
    {
        var dir = TestSupport.TempDir("shards");
        var spec = WriteSpec(dir, ExperimentSupport.BlobsSpec);
        var store = Path.Combine(dir, "store");
        var s0 = TestSupport.RunCli(TestSupport.CliDll, ["sweep", spec, "--store", store, "--shard", "0/2"], OneThread);
        Assert.True(s0.ExitCode == 0, s0.Stderr);
        var env1 = new Dictionary<string, string?>(OneThread) { ["SLURM_ARRAY_TASK_ID"] = "1", ["SLURM_ARRAY_TASK_COUNT"] = "2" };
        var s1 = TestSupport.RunCli(TestSupport.CliDll, ["sweep", spec, "--store", store], env1);
        Assert.True(s1.ExitCode == 0, s1.Stderr);
        Assert.Contains("8 runs planned, 4 in this shard, 0 already finished, 4 to run", s1.Stdout);
        Assert.Equal(2, ResultsStore.Files(store).Count);

        var dry = TestSupport.RunCli(TestSupport.CliDll, ["sweep", spec, "--store", store, "--dry-run"], OneThread);
        Assert.Contains("8 runs planned, 8 in this sweep, 8 finished, 0 to run", dry.Stdout);

        var merged = Path.Combine(dir, "merged.jsonl");
        var md = TestSupport.RunCli(TestSupport.CliDll, ["report", store, "--spec", spec, "--merged", merged], OneThread);
        Assert.True(md.ExitCode == 0, md.Stderr);
        Assert.Contains("| tiny-mlp | synthetic-blobs | full | 4 |", md.Stdout);
        Assert.Contains("| tiny-mlp | synthetic-blobs | linear-probe | 4 |", md.Stdout);
        Assert.Equal(8, File.ReadAllLines(merged).Length);
        var csv = TestSupport.RunCli(TestSupport.CliDll, ["report", merged, "--format", "csv"], OneThread);
        Assert.StartsWith("model,dataset,method,runs,", csv.Stdout);
        Assert.Equal(3, csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var runs = TestSupport.RunCli(TestSupport.CliDll, ["report", store, "--runs"], OneThread);
        Assert.Equal(9, runs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Train_prints_one_result_and_a_store_keeps_it()
    {
        var store = Path.Combine(TestSupport.TempDir("train"), "store");
        string[] args = ["train", "--model", """{"name":"tiny-mlp","hidden":8}""", "--dataset", """{"name":"synthetic-blobs","classes":2,"features":4}""",
            "--method", "linear-probe", "--lr", "0.01", "--seed", "3", "--training", """{"epochs":2}""", "--store", store];
        var r = TestSupport.RunCli(TestSupport.CliDll, args, OneThread);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var record = RunRecord.FromJson(System.Text.Json.Nodes.JsonNode.Parse(r.Stdout)!, "stdout");
        Assert.Equal((3L, 0.01, "linear-probe"), (record.Seed, record.LearningRate, record.MethodName));
        Assert.Equal(["accuracy", "f1", "matthews_correlation"], record.Test!.Keys.Order());
        Assert.Equal(8 * 2 + 2, record.TrainableParameters); // the head only
        Assert.Equal("flush", record.Details["denormals"]!.GetValue<string>()); // the training thread's mode, the default
        var ieee = TestSupport.RunCli(TestSupport.CliDll, [.. args[..^2], "--denormals", "keep"], OneThread);
        Assert.True(ieee.ExitCode == 0, ieee.Stderr);
        Assert.Equal("keep", RunRecord.FromJson(System.Text.Json.Nodes.JsonNode.Parse(ieee.Stdout)!, "stdout").Details["denormals"]!.GetValue<string>());
        var again = TestSupport.RunCli(TestSupport.CliDll, args, OneThread);
        Assert.Contains("not re-run", again.Stderr);
        Assert.Equal(r.Stdout, again.Stdout);
        Assert.Single(ResultsStore.Load(store).Runs);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("sweep")]
    [InlineData("report")]
    [InlineData("bench")]
    public void Every_verb_has_help(string verb)
    {
        var r = TestSupport.RunCli(TestSupport.CliDll, [verb, "--help"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout);
        Assert.Contains(verb, r.Stdout);
    }

    [Fact]
    public void User_mistakes_give_one_line_errors()
    {
        var dir = TestSupport.TempDir("errors");
        var bad = WriteSpec(dir, """{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "learning_rates": [0.001, 0]}""");
        var good = Path.Combine(dir, "good.json");
        File.WriteAllText(good, """{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"]}""");
        var mismatch = Path.Combine(dir, "mismatch.json");
        File.WriteAllText(mismatch, """{"model": "tiny-mlp", "datasets": ["cifar10"], "methods": ["full"], "seeds": [0], "learning_rates": [0.001]}""");
        var cases = new (string[] Args, string Expected)[]
        {
            (["sweep", bad], "learning_rates[1]: 0: a learning rate must be > 0"),
            (["sweep", Path.Combine(dir, "missing.json")], "sweep spec file not found"),
            (["sweep", good, "--shard", "3/2"], "--shard '3/2': the shard index must be in 0..1"),
            (["report", Path.Combine(dir, "nowhere")], "is neither a store folder nor a JSONL file"),
            (["train", "--model", "tiny-mlp", "--dataset", "synthetic-blobs", "--method", "dora-xl", "--lr", "0.1"], "--method.name: unknown method 'dora-xl'"),
            (["train", "--model", "tiny-mlp", "--dataset", "synthetic-blobs", "--method", "full", "--lr", "-1"], "--lr -1: a learning rate must be > 0"),
            (["train", "--model", "tiny-mlp", "--dataset", "{\"name\": ", "--method", "full", "--lr", "0.1"], "--dataset: malformed JSON"),
        };
        foreach (var (args, expected) in cases)
        {
            var r = TestSupport.RunCli(TestSupport.CliDll, args, OneThread);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}\n{r.Stderr}");
            var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            Assert.Contains(expected, line);
        }
    }
}
