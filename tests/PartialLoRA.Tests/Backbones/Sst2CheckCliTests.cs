using System.Text.Json.Nodes;
using PartialLoRA.Backbones;
using PartialLoRA.Models.Deberta;

namespace PartialLoRA.Tests.Backbones;

/// <summary><c>partial-lora pretrain sst2-check</c> on a tiny published text backbone and a tiny SST-2.</summary>
public class Sst2CheckCliTests
{
    private static string[] Args(string data, string backbones, params string[] more) =>
    [
        "--threads", "1", "pretrain", "sst2-check", "--data", data, "--backbones", backbones, "--replicates", "2",
        "--validation-examples", "8", "--epochs", "1", "--precision", "f32", .. more,
        .. more.Contains("--train-examples") ? Array.Empty<string>() : ["--train-examples", "24"],
    ];

    /// <summary>A tiny text backbone recorded as the publishers do (kind, quality), plus a vision-kind entry.</summary>
    private static string Backbones()
    {
        var root = TestSupport.TempDir("sst2-check");
        using var mlm = new DebertaV2ForMaskedLM(BackboneFixtures.TinyText, seed: 4);
        BackboneFixtures.Publish(mlm, root, TextPublisher.DefaultName, f => BackboneFixtures.WriteVocab(f));
        var m = BackboneManifest.Open(root);
        var entry = m.Require(TextPublisher.DefaultName);
        entry["kind"] = "text";
        entry["command"] = "the pretraining command";
        entry["quality"] = new JsonObject { ["held_out_masked_token_accuracy"] = 0.25 };
        m.SetEntry("other", new JsonObject { ["folder"] = TextPublisher.DefaultName, ["kind"] = "vision", ["files"] = entry["files"]!.DeepClone() });
        m.Save();
        return root;
    }

    [Fact]
    public void The_check_runs_both_arms_per_seed_and_records_the_difference_in_the_entry_keeping_the_rest()
    {
        var data = BackboneFixtures.TinySst2(TestSupport.TempDir("sst2-check-data"));
        var root = Backbones();
        var r = TestSupport.RunCli(TestSupport.CliDll, Args(data, root));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("SST-2 LoRA check, seed 1, random-init encoder", r.Stdout);

        var entry = BackboneManifest.Open(root).Require(TextPublisher.DefaultName);
        Assert.Equal("the pretraining command", entry["command"]!.GetValue<string>());
        Assert.Equal(0.25, entry["quality"]!["held_out_masked_token_accuracy"]!.GetValue<double>());
        var check = entry["quality"]!["sst2_lora"]!;
        Assert.Equal([0L, 1L], check["seeds"]!.AsArray().Select(s => s!.GetValue<long>()));
        Assert.Contains("sst2-check", check["command"]!.GetValue<string>());
        Assert.Contains("2 seed(s)", check["protocol"]!.GetValue<string>());
        double[] Tests(string arm) => [.. check[arm]!["runs"]!.AsArray().Select(x => x!["test_accuracy"]!.GetValue<double>())];
        var (p, q) = (Tests("pretrained"), Tests("random_init"));
        Assert.Equal(2, p.Length);
        var diff = check["test_accuracy_difference"]!;
        var perSeed = diff["per_seed"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        for (int i = 0; i < 2; i++) Assert.Equal(Math.Round(p[i] - q[i], 5), perSeed[i], 5);
        Assert.Equal(Math.Round(perSeed.Average(), 5), diff["mean"]!.GetValue<double>(), 5);
        Assert.NotNull(diff["std"]);
        Assert.Equal($"{perSeed.Count(d => d > 0)} of 2 seeds", diff["pretrained_better_in"]!.GetValue<string>());
        // each run trains on 24 examples for one epoch of batch 32: one step
        Assert.All(check["pretrained"]!["runs"]!.AsArray(), x => Assert.Equal(1, x!["steps"]!.GetValue<int>()));
    }

    [Fact]
    public void A_vision_entry_a_changed_file_or_too_few_examples_is_refused_by_name()
    {
        var data = BackboneFixtures.TinySst2(TestSupport.TempDir("sst2-check-data"));
        var root = Backbones();
        var vision = TestSupport.RunCli(TestSupport.CliDll, Args(data, root, "--name", "other"));
        Assert.NotEqual(0, vision.ExitCode);
        Assert.Contains("backbone 'other' is a 'vision' backbone; the SST-2 check needs a 'text' one", vision.Stderr);

        var big = TestSupport.RunCli(TestSupport.CliDll, Args(data, root, "--train-examples", "40"));
        Assert.NotEqual(0, big.ExitCode);
        Assert.Contains("40 + 8 examples requested, the training split has 40", big.Stderr);

        File.AppendAllText(Path.Combine(root, TextPublisher.DefaultName, "vocab.txt"), "extra\n");
        var changed = TestSupport.RunCli(TestSupport.CliDll, Args(data, root));
        Assert.NotEqual(0, changed.ExitCode);
        Assert.Contains("vocab.txt: SHA-256 is", changed.Stderr);
        Assert.Null(BackboneManifest.Open(root).Require(TextPublisher.DefaultName)["quality"]!["sst2_lora"]);
    }
}
