using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;

namespace PartialLoRA.Tests.Reproduction;

public class Table6Tests
{
    private static SweepSpec Parse(System.Text.Json.Nodes.JsonObject spec) => SweepSpec.Parse(spec.ToJsonString(), "t6", ReproductionFixtures.Catalog);

    [Fact]
    public void Paper_numbers_are_table_6_which_prints_no_adalora_row()
    {
        Assert.Equal(6 * 4, Table6.Paper.Count);
        Assert.DoesNotContain(Table6.Paper, p => p.Method == "AdaLoRA");
        PaperScore Cell(string method, string dataset) => Table6.Paper.Single(p => p.Method == method && p.Dataset == dataset);
        Assert.Equal((94.95, 1.33), (Cell("LoRA", "sst2").Score, Cell("LoRA", "sst2").ParametersM));
        Assert.Equal((89.87, 0.14), (Cell("Partial-LoRA", "mrpc").Score, Cell("Partial-LoRA", "mrpc").ParametersM));
        Assert.Equal((94.31, 0.33), (Cell("Partial-AdaLoRA", "qnli").Score, Cell("Partial-AdaLoRA", "qnli").ParametersM));
        Assert.Equal((72.11, 1.41), (Cell("DoRA", "cola").Score, Cell("DoRA", "cola").ParametersM));
        Assert.Equal((71.28, 0.10), (Cell("VeRA", "cola").Score, Cell("VeRA", "cola").ParametersM));
    }

    [Fact]
    public void Language_specs_per_profile()
    {
        var smoke = Parse(Table6.Spec(ReproductionProfile.Smoke, 0, ReproductionFixtures.Backbones));
        Assert.Equal("lab-text", smoke.Model.Name);
        var sst2 = Assert.Single(smoke.Datasets);
        Assert.Equal("sst2", sst2.Name);
        Assert.Equal(ReproductionSweep.SmokeTextTrainLimit, sst2.Options["train_limit"]!.GetValue<int>());
        Assert.Equal(ReproductionSweep.SmokeTextFewShotRatio, sst2.Options["few_shot_ratio"]!.GetValue<double>());
        Assert.Equal(ReproductionSweep.SmokeTextEpochs, smoke.Training.Epochs);
        Assert.All(smoke.Methods, m => Assert.Equal(ReproductionSweep.SmokeTextTargets, m.Spec.Options["target_modules"]!.GetValue<string>()));

        var lab = Parse(Table6.Spec(ReproductionProfile.Lab, 0, ReproductionFixtures.Backbones));
        Assert.Equal(["sst2", "mrpc", "cola", "qnli"], lab.Datasets.Select(d => d.Name));
        // QNLI's training split is not offline: the lab protocol trains on 80% of GLUE dev.
        Assert.True(lab.Datasets.Single(d => d.Name == "qnli").Options["dev_split"]!.GetValue<bool>());
        Assert.False(lab.Datasets.Single(d => d.Name == "sst2").Options["dev_split"]!.GetValue<bool>());
        Assert.Equal(4 * 7 * 20, lab.Expand(CodeVersion.Current).Count);

        var paper = Table6.Spec(ReproductionProfile.Paper, 0);
        Assert.Equal(PaperModels.Deberta.Model().ToJsonString(), paper["model"]!.ToJsonString());
        Assert.Equal(Table6.PaperDatasets, paper["datasets"]!.AsArray().Select(d => d!["name"]!.GetValue<string>()));
    }
}
