using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;

namespace PartialLoRA.Tests.Reproduction;

public class Table5Tests
{
    private static SweepSpec Parse(System.Text.Json.Nodes.JsonObject spec) => SweepSpec.Parse(spec.ToJsonString(), "t5", ReproductionFixtures.Catalog);

    [Fact]
    public void Paper_numbers_are_table_5_cell_by_cell()
    {
        Assert.Equal(7 * 8, Table5.Paper.Count);
        Assert.All(Table5.Paper, p => Assert.Equal("Table 5", p.Source));
        Assert.All(Table5.Paper, p => Assert.Contains(p.Dataset, Table5.PaperDatasets));
        PaperScore Cell(string method, string dataset) => Table5.Paper.Single(p => p.Method == method && p.Dataset == dataset);
        Assert.Equal((94.50, 0.67), (Cell("LoRA", "cifar10").Score, Cell("LoRA", "cifar10").ParametersM));
        Assert.Equal((93.86, 0.14), (Cell("Partial-LoRA", "pets").Score, Cell("Partial-LoRA", "pets").ParametersM));
        Assert.Equal((95.21, 0.32), (Cell("Partial-LoRA", "flowers102").Score, Cell("Partial-LoRA", "flowers102").ParametersM));
        Assert.Equal((91.23, 0.10), (Cell("VeRA", "gtsrb").Score, Cell("VeRA", "gtsrb").ParametersM));
        Assert.Equal((53.41, 0.75), (Cell("DoRA", "fgvc-aircraft").Score, Cell("DoRA", "fgvc-aircraft").ParametersM));
        Assert.Equal((72.79, 0.22), (Cell("Partial-AdaLoRA", "imagenet").Score, Cell("Partial-AdaLoRA", "imagenet").ParametersM));
        Assert.Equal(["LoRA", "Partial-LoRA", "VeRA", "LoRA+", "DoRA", "AdaLoRA", "Partial-AdaLoRA"], Table5.Methods.Select(m => m.Label));
    }

    [Fact]
    public void Smoke_and_lab_specs_validate_against_the_catalog()
    {
        var smoke = Parse(Table5.Spec(ReproductionProfile.Smoke, 0, ReproductionFixtures.Backbones));
        Assert.Equal("lab-vision", smoke.Model.Name);
        Assert.Equal(["cifar10"], smoke.Datasets.Select(d => d.Name));
        Assert.Equal(7, smoke.Expand(CodeVersion.Current).Count);
        Assert.All(smoke.Methods, m => Assert.Equal(ReproductionSweep.SmokeVisionTargets, m.Spec.Options["target_modules"]!.GetValue<string>()));
        Assert.Equal(ReproductionSweep.SmokeShots, smoke.Datasets[0].Options["shots"]!.GetValue<int>());
        Assert.Equal([ReproductionSweep.SmokeLearningRate], smoke.LearningRates);
        Assert.Equal(["lora", "partial-lora", "vera", "loraplus", "dora", "adalora", "partial-adalora"], smoke.Methods.Select(m => m.Spec.Name));

        var lab = Parse(Table5.Spec(ReproductionProfile.Lab, 0, ReproductionFixtures.Backbones));
        Assert.Equal(["cifar10", "fer2013", "gtsrb", "fashion-mnist"], lab.Datasets.Select(d => d.Name));
        Assert.All(lab.Datasets, d => Assert.Equal(16, d.Options["shots"]!.GetValue<int>()));
        Assert.Equal(4 * 7 * 4 * 5, lab.Expand(CodeVersion.Current).Count);
        Assert.Equal(5, lab.TopK);
        Assert.All(lab.Methods, m => Assert.Equal("default", m.Spec.Options["target_modules"]!.GetValue<string>()));
    }

    [Fact]
    public void Paper_profile_names_clip_and_says_what_is_missing()
    {
        var spec = Table5.Spec(ReproductionProfile.Paper, 0);
        Assert.Equal(PaperModels.Clip.Model().ToJsonString(), spec["model"]!.ToJsonString());
        Assert.Equal(Table5.PaperDatasets, spec["datasets"]!.AsArray().Select(d => d!["name"]!.GetValue<string>()));
        var e = Assert.Throws<SpecException>(() => Parse(spec));
        Assert.Contains("clip-vit-base-patch16", e.Message);

        var missing = PaperModels.Missing([PaperModels.Clip], Table5.PaperDatasets, TestSupport.TempDir("no-data"), TestSupport.TempDir("no-models"));
        Assert.Equal(9, missing.Count);
        Assert.StartsWith("model clip-vit-b16: ", missing[0]);
        Assert.Contains("hub download", missing[0]);
        Assert.StartsWith("dataset pets:", missing[1]);
    }
}
