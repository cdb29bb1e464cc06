using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;
using PartialLoRA.Tests.Training;
using TorchSharp;

namespace PartialLoRA.Tests.Reproduction;

[Collection(SerialTorchRng.Name)]
public class ReproductionSweepTests
{
    public ReproductionSweepTests() => _ = TestSupport.Torch;

    private static JsonObject Blobs(params string[] methods) => new()
    {
        ["name"] = "blobs",
        ["model"] = new JsonObject { ["name"] = "tiny-mlp", ["hidden"] = 8, ["layers"] = 1 },
        ["datasets"] = new JsonArray(new JsonObject
        {
            ["name"] = "synthetic-blobs", ["classes"] = 2, ["features"] = 4, ["train_per_class"] = 16, ["validation_per_class"] = 8, ["test_per_class"] = 16,
        }),
        ["methods"] = new JsonArray(methods.Select(m => (JsonNode)m).ToArray()),
        ["seeds"] = new JsonArray(0, 1),
        ["learning_rates"] = new JsonArray(1e-2),
        ["training"] = new JsonObject { ["epochs"] = 1, ["batch_size"] = 8, ["patience"] = 1 },
    };

    [Fact]
    public void A_run_trains_through_the_store_a_rerun_trains_nothing_and_other_specs_runs_are_left_out()
    {
        var store = TestSupport.TempDir("repro-store");
        var log = new StringWriter();
        var first = ReproductionSweep.Run(Blobs("full"), store, device: torch.CPU, cacheDir: TestSupport.TempDir("repro-cache"), log: log);
        Assert.Equal((2, 0), (first.Runs.Count, first.Missing));
        Assert.Contains("2 runs planned, 0 found in the results store, 2 to train", log.ToString());
        Assert.Contains("[2/2] synthetic-blobs · full · seed 1", log.ToString());
        var row = Assert.Single(first.Summary);
        Assert.Equal(2, row.Runs);
        Assert.False(double.IsNaN(SweepResult.Score(first.Cell("synthetic-blobs", "full")).Mean));
        // the training loss after the first and the last epoch come from the runs' histories
        var point = Assert.Single(MethodComparison.Points(first, []));
        Assert.True(double.IsFinite(point.TrainLoss.First) && double.IsFinite(point.TrainLoss.Last), $"{point.TrainLoss}");

        var other = ReproductionSweep.Run(Blobs("linear-probe"), store, device: torch.CPU, cacheDir: TestSupport.TempDir("repro-cache"));
        Assert.Equal(4, ResultsStore.Load(store).Runs.Count);
        Assert.All(other.Runs, r => Assert.Equal("linear-probe", r.MethodName));

        var again = new StringWriter();
        var second = ReproductionSweep.Run(Blobs("full"), store, device: torch.CPU, cacheDir: TestSupport.TempDir("repro-cache"), log: again);
        Assert.Contains("2 found in the results store, 0 to train", again.ToString());
        Assert.Equal(first.Runs.Select(r => r.Key), second.Runs.Select(r => r.Key));
    }

    [Fact]
    public void Missing_paper_assets_name_the_folder_and_the_dataset()
    {
        var empty = TestSupport.TempDir("repro-data");
        var models = TestSupport.TempDir("repro-models");
        var missing = PaperModels.Missing([PaperModels.Clip], ["pets"], empty, models);
        Assert.Equal(2, missing.Count);
        Assert.StartsWith("model clip-vit-b16: ", missing[0]);
        Assert.Contains(Path.Combine(models, "clip-vit-base-patch16"), missing[0]);
        Assert.Contains("config.json, model.safetensors", missing[0]);
        Assert.Contains("partial-lora hub download", missing[0]);
        Assert.StartsWith("dataset pets:", missing[1]);

        // config.json alone is not a model: the weights are still missing.
        Directory.CreateDirectory(PaperModels.Llama.Path(models));
        File.WriteAllText(Path.Combine(PaperModels.Llama.Path(models), "config.json"), "{}");
        Assert.Contains("lacks model.safetensors (", PaperModels.MissingWeights(PaperModels.Llama, models));
        File.WriteAllText(Path.Combine(PaperModels.Llama.Path(models), "model.safetensors"), "");
        Assert.Null(PaperModels.MissingWeights(PaperModels.Llama, models));
        Assert.Equal(PaperModels.Llama.Path(models), PaperModels.Llama.Model(models)["checkpoint"]!.GetValue<string>());

        var (present, absent) = PaperModels.Available(["pets"], empty);
        Assert.Empty(present);
        Assert.Single(absent);
    }

    [Theory]
    [InlineData(ReproductionProfile.Smoke)]
    [InlineData(ReproductionProfile.Lab)]
    public void Every_spec_shares_the_profiles_tail(ReproductionProfile profile)
    {
        JsonObject[] specs =
        [
            Table5.Spec(profile, 7), Table6.Spec(profile, 7), Table1.Spec(profile, 7), Table2.Spec(profile, 7, ["cifar10"]),
            Table3.Spec(profile, 7, ["gtsrb"]), Figure5.Spec(profile, 7, ["cifar10"]), Figure6.Spec(profile, 7, ["cifar10"]),
            AppendixC.Spec(profile, 7), AppendixD.Spec(profile, 7), AppendixH.Spec(profile, 7),
        ];
        foreach (var spec in specs)
        {
            var vision = spec["model"]!["name"]!.GetValue<string>() == "lab-vision";
            var tail = ReproductionSweep.Spec("x", profile, vision ? Modality.Vision : Modality.Text, 7, [], []);
            foreach (var field in new[] { "seeds", "learning_rates", "training", "top_k" })
                Assert.True(JsonNode.DeepEquals(tail[field], spec[field]), $"{spec["name"]}: {field}");
            Assert.EndsWith("-" + profile.ToString().ToLowerInvariant(), spec["name"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Smoke_datasets_are_cut_to_the_smoke_sizes_unless_the_element_sets_them()
    {
        var cifar = ReproductionSweep.Dataset("cifar10", ReproductionProfile.Smoke);
        Assert.Equal((ReproductionSweep.SmokeShots, ReproductionSweep.SmokeVisionTestLimit), (cifar["shots"]!.GetValue<int>(), cifar["test_limit"]!.GetValue<int>()));
        var sst2 = ReproductionSweep.Dataset("sst2", ReproductionProfile.Smoke, new JsonObject { ["train_limit"] = 9 });
        Assert.Equal(9, sst2["train_limit"]!.GetValue<int>());
        Assert.Equal(ReproductionSweep.SmokeTextFewShotRatio, sst2["few_shot_ratio"]!.GetValue<double>());
        Assert.Equal(["name"], ReproductionSweep.Dataset("cifar10", ReproductionProfile.Lab).Select(p => p.Key));
        Assert.Equal(PaperModels.Clip.Model().ToJsonString(), ReproductionSweep.Model(ReproductionProfile.Paper, Modality.Vision).ToJsonString());
    }

    [Fact]
    public void Profiles_parse_the_executor_names_and_reject_others()
    {
        Assert.Equal(ReproductionProfile.Lab, ReproductionProfiles.Parse("lab"));
        Assert.Throws<ArgumentException>(() => ReproductionProfiles.Parse("huge"));
    }
}
