using System.Diagnostics;
using System.Text.Json.Nodes;
using PartialLoRA.Backbones;

namespace PartialLoRA.Tests.Backbones;

/// <summary>The <c>pretrain</c> verb as a user runs it: a real process, killed and started again.</summary>
public class PretrainCliTests
{
    private static string[] TinyVision(string data, string work) =>
    [
        "--threads", "1", "pretrain", "vision", "--data", data, "--work", work, "--no-publish",
        "--epochs", "12", "--batch-size", "5", "--warmup-epochs", "1", "--width", "8", "--layers", "1", "--heads", "1",
        "--patch-size", "8", "--projection-dim", "8", "--precision", "f32", "--checkpoint-every", "2",
    ];

    /// <summary><paramref name="args"/> with the value of option <paramref name="name"/> replaced.</summary>
    private static string[] Set(string[] args, string name, string value)
    {
        var copy = args.ToArray();
        copy[Array.IndexOf(copy, name) + 1] = value;
        return copy;
    }

    [Fact]
    public void Vision_pretraining_killed_after_a_checkpoint_resumes_there_and_ends_identical_to_an_uninterrupted_run()
    {
        var data = BackboneFixtures.TinyCifar(TestSupport.TempDir("pretrain-cli-data"), perClass: 6);
        var full = Path.Combine(TestSupport.TempDir("pretrain-cli"), "full");
        var cut = Path.Combine(TestSupport.TempDir("pretrain-cli"), "cut");

        var uninterrupted = TestSupport.RunCli(TestSupport.CliDll, TinyVision(data, full));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr + uninterrupted.Stdout);
        Assert.Contains("120 steps of 5 (12 epochs)", uninterrupted.Stdout);
        Assert.DoesNotContain("resuming", uninterrupted.Stdout);

        var killedAt = RunAndKill(TinyVision(data, cut), cut, atLeastStep: 40);
        Assert.InRange(killedAt, 40, 119);

        var resumed = TestSupport.RunCli(TestSupport.CliDll, TinyVision(data, cut));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        var line = resumed.Stdout.Split('\n').Single(l => l.Contains("resuming from"));
        var from = int.Parse(line.Split(" at step ")[1].Split('/')[0]);
        Assert.InRange(from, killedAt, 119);   // the last state written before the kill (the kill may land after a newer one)
        Assert.Contains($"step 120/120", resumed.Stdout);
        PretrainLoopTests.AssertSameState(PretrainState.PathIn(full), PretrainState.PathIn(cut));
    }

    [Fact]
    public void Stop_after_epoch_publishes_the_full_schedules_epoch_K_whether_the_run_is_before_or_past_it()
    {
        var data = BackboneFixtures.TinyCifar(TestSupport.TempDir("pretrain-cli-stop-data"), perClass: 6);
        var full = Path.Combine(TestSupport.TempDir("pretrain-cli-stop"), "full");
        var stop = Path.Combine(TestSupport.TempDir("pretrain-cli-stop"), "stop");

        var uninterrupted = TestSupport.RunCli(TestSupport.CliDll, [.. TinyVision(data, full), "--keep-epochs", "12"]);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr + uninterrupted.Stdout);
        Assert.Equal(Enumerable.Range(1, 12), PretrainState.EpochSnapshots(full));

        // before K: trains the full schedule's first K epochs and stops
        var early = TestSupport.RunCli(TestSupport.CliDll, [.. TinyVision(data, stop), "--stop-after-epoch", "4"]);
        Assert.True(early.ExitCode == 0, early.Stderr + early.Stdout);
        Assert.Contains("stopped after epoch 4 of 12 (step 40/120)", early.Stdout);
        PretrainLoopTests.AssertSameState(PretrainState.EpochSnapshotPath(full, 4), PretrainState.PathIn(stop));

        // past K: the epoch-K snapshot, nothing trained
        var past = TestSupport.RunCli(TestSupport.CliDll, [.. TinyVision(data, full), "--stop-after-epoch", "10"]);
        Assert.True(past.ExitCode == 0, past.Stderr + past.Stdout);
        Assert.Contains("loaded the end of epoch 10 of 12 from", past.Stdout);
        Assert.DoesNotMatch(@"step \d+/120 epoch", past.Stdout);   // no training step logged
    }

    [Fact]
    public void Init_from_starts_at_the_published_weights_and_records_the_chain_it_continues()
    {
        var data = BackboneFixtures.TinyCifar(TestSupport.TempDir("pretrain-init-data"), perClass: 6);
        var root = TestSupport.TempDir("pretrain-init");
        var backbones = Path.Combine(root, "backbones");
        string[] Publishing(string work, int epochs, params string[] more) =>
            [.. Set(TinyVision(data, Path.Combine(root, work)), "--epochs", $"{epochs}").Where(a => a != "--no-publish"), "--backbones", backbones, .. more];

        var first = TestSupport.RunCli(TestSupport.CliDll, Publishing("first", 3));
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        var folder = Path.Combine(backbones, VisionPublisher.DefaultName);
        var weights = Path.Combine(folder, "model.safetensors");
        var firstSha = BackboneManifest.Sha256(weights);
        var firstEntry = BackboneManifest.Open(backbones).Require(VisionPublisher.DefaultName);

        // a learning rate far below fp16's resolution: the continued run publishes exactly the weights it started from
        var second = TestSupport.RunCli(TestSupport.CliDll, Publishing("second", 2, "--lr", "1e-12", "--init-from", folder));
        Assert.True(second.ExitCode == 0, second.Stderr + second.Stdout);
        Assert.Contains($"initialised from {folder} ('{VisionPublisher.DefaultName}', 3 epochs;", second.Stdout);
        Assert.Equal(firstSha, BackboneManifest.Sha256(weights));
        var entry = BackboneManifest.Open(backbones).Require(VisionPublisher.DefaultName);
        Assert.Equal(firstSha, entry["options"]!["initialised_from"]!["model_safetensors_sha256"]!.GetValue<string>());
        Assert.Equal(firstEntry["command"]!.GetValue<string>(), entry["initialised_from"]!["command"]!.GetValue<string>());
        Assert.Equal(5, entry["epochs_total"]!.GetValue<int>());
        Assert.Equal(2, entry["epochs"]!.GetValue<int>());

        // a normal learning rate moves it (so the check above can fail)
        var third = TestSupport.RunCli(TestSupport.CliDll, Publishing("third", 2, "--init-from", folder));
        Assert.True(third.ExitCode == 0, third.Stderr + third.Stdout);
        Assert.NotEqual(firstSha, BackboneManifest.Sha256(weights));
        Assert.Equal(7, BackboneManifest.Open(backbones).Require(VisionPublisher.DefaultName)["epochs_total"]!.GetValue<int>());
    }

    [Fact]
    public void Init_from_refuses_unlisted_folders_another_hold_out_and_another_size()
    {
        var data = BackboneFixtures.TinyCifar(TestSupport.TempDir("pretrain-init-bad-data"), perClass: 6);
        var root = TestSupport.TempDir("pretrain-init-bad");
        var backbones = Path.Combine(root, "backbones");
        var published = TestSupport.RunCli(TestSupport.CliDll,
            [.. Set(TinyVision(data, Path.Combine(root, "w0")), "--epochs", "2").Where(a => a != "--no-publish"), "--backbones", backbones]);
        Assert.True(published.ExitCode == 0, published.Stderr + published.Stdout);
        var folder = Path.Combine(backbones, VisionPublisher.DefaultName);

        var stray = Path.Combine(root, "stray", "copy");
        Directory.CreateDirectory(stray);
        foreach (var f in Directory.EnumerateFiles(folder)) File.Copy(f, Path.Combine(stray, Path.GetFileName(f)));
        var unlisted = TestSupport.RunCli(TestSupport.CliDll, [.. TinyVision(data, Path.Combine(root, "w1")), "--init-from", stray]);
        Assert.NotEqual(0, unlisted.ExitCode);
        Assert.Contains("not listed in", unlisted.Stderr + unlisted.Stdout);

        var otherSeed = TestSupport.RunCli(TestSupport.CliDll, [.. TinyVision(data, Path.Combine(root, "w2")), "--seed", "1", "--init-from", folder]);
        Assert.NotEqual(0, otherSeed.ExitCode);
        Assert.Contains("would overlap this run's held-out ones", otherSeed.Stderr + otherSeed.Stdout);

        var otherWidth = TestSupport.RunCli(TestSupport.CliDll, [.. Set(TinyVision(data, Path.Combine(root, "w3")), "--width", "16"), "--init-from", folder]);
        Assert.NotEqual(0, otherWidth.ExitCode);
        Assert.Contains("model.safetensors", otherWidth.Stderr + otherWidth.Stdout);
    }

    /// <summary>Starts the CLI, waits until its progress file reports a step ≥ <paramref name="atLeastStep"/>, kills it; returns that step.</summary>
    private static int RunAndKill(IEnumerable<string> args, string work, int atLeastStep)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(TestSupport.CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        var progress = Path.Combine(work, PretrainState.ProgressFileName);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (p.HasExited)
                Assert.Fail($"the run ended (exit {p.ExitCode}) before it could be killed at step ≥ {atLeastStep}: {se.Result}{so.Result}");
            if (clock.Elapsed > TimeSpan.FromSeconds(120)) Assert.Fail("no checkpoint within 120 s");
            if (File.Exists(progress))
            {
                try
                {
                    var step = JsonNode.Parse(File.ReadAllText(progress))!["step"]!.GetValue<int>();
                    if (step >= atLeastStep)
                    {
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit();
                        return step;
                    }
                }
                catch (IOException)
                {
                }
            }
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void Bench_prints_the_throughput_of_a_candidate_size()
    {
        var r = TestSupport.RunCli(TestSupport.CliDll,
            ["--threads", "1", "pretrain", "bench", "--kind", "text", "--width", "16", "--layers", "1", "--heads", "2", "--batch-size", "2", "--steps", "1", "--precision", "f32"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Matches(@"text: width 16, 1 layers, 2 heads, FFN 64, length 128; [\d,]+ parameters; f32, 1 thread\(s\), batch 2: \d+ ms/step, [\d.]+ tok/s over 1 steps", r.Stdout);
    }
}
