using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;

namespace PartialLoRA.Tests.Reproduction;

public class Table5Tests
{
    [Fact]
    public void Paper_numbers_are_table_5_cell_by_cell()
    {
        Assert.Equal(7 * 8, Table5.Paper.Count);
        Assert.All(Table5.Paper, p => Assert.Equal("Table 5", p.Source));
        Assert.All(Table5.Paper, p => Assert.Contains(p.Dataset, ComparisonProtocol.PaperVisionDatasets));
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
        var smoke = Table5.Setup(ReproductionProfile.Smoke, ReproductionFixtures.Backbones).Spec(ReproductionFixtures.Catalog);
        Assert.Equal("lab-vision", smoke.Model.Name);
        Assert.Equal(["cifar10"], smoke.Datasets.Select(d => d.Name));
        Assert.Equal(7, smoke.Expand(CodeVersion.Current).Count);
        Assert.All(smoke.Methods, m => Assert.Equal(ComparisonProtocol.SmokeVisionTargets, m.Spec.Options["target_modules"]!.GetValue<string>()));
        Assert.Equal(["lora", "partial-lora", "vera", "loraplus", "dora", "adalora", "partial-adalora"], smoke.Methods.Select(m => m.Spec.Name));

        var lab = Table5.Setup(ReproductionProfile.Lab, ReproductionFixtures.Backbones).Spec(ReproductionFixtures.Catalog);
        Assert.Equal(["cifar10", "fer2013", "gtsrb", "fashion-mnist"], lab.Datasets.Select(d => d.Name));
        Assert.All(lab.Datasets, d => Assert.Equal(16, d.Options["shots"]!.GetValue<int>()));
        Assert.Equal(4 * 7 * 4 * 5, lab.Expand(CodeVersion.Current).Count);
        Assert.Equal(5, lab.TopK);
        Assert.All(lab.Methods, m => Assert.Equal("default", m.Spec.Options["target_modules"]!.GetValue<string>()));
    }

    [Fact]
    public void Paper_profile_names_clip_and_says_what_is_missing()
    {
        var setup = Table5.Setup(ReproductionProfile.Paper);
        Assert.Equal("clip-vit-b16", setup.Model["name"]!.GetValue<string>());
        Assert.EndsWith("clip-vit-base-patch16", setup.Model["checkpoint"]!.GetValue<string>());
        Assert.Equal(ComparisonProtocol.PaperVisionDatasets, setup.Datasets.Select(d => d["name"]!.GetValue<string>()));
        var e = Assert.Throws<SpecException>(() => setup.Spec(ReproductionFixtures.Catalog));
        Assert.Contains("clip-vit-base-patch16", e.Message);

        var missing = ComparisonProtocol.MissingPaperInputs(vision: true, TestSupport.TempDir("no-data"));
        Assert.Equal(9, missing.Count);
        Assert.StartsWith("model clip-vit-b16: no weights in ", missing[0]);
        Assert.Contains("hub download", missing[0]);
        Assert.StartsWith("dataset pets:", missing[1]);
    }
}
