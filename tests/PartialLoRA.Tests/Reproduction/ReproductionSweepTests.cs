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
        var model = Path.Combine(TestSupport.TempDir("repro-models"), "clip-vit-base-patch16");
        var missing = ReproductionSweep.MissingPaperAssets([model], ["pets"], empty);
        Assert.Equal(2, missing.Count);
        Assert.Contains(model, missing[0]);
        Assert.Contains("partial-lora hub download", missing[0]);
        Assert.StartsWith("dataset pets:", missing[1]);
        var (present, absent) = ReproductionSweep.Available(["pets"], empty);
        Assert.Empty(present);
        Assert.Single(absent);
    }

    [Fact]
    public void Profiles_parse_the_executor_names_and_reject_others()
    {
        Assert.Equal(ReproductionProfile.Lab, ReproductionProfiles.Parse("lab"));
        Assert.Throws<ArgumentException>(() => ReproductionProfiles.Parse("huge"));
    }
}
