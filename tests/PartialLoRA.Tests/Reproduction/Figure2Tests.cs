using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;

namespace PartialLoRA.Tests.Reproduction;

public class Figure2Tests
{
    [Fact]
    public void Paper_points_are_tables_5_and_6_for_the_four_methods()
    {
        Assert.Equal(["LoRA", "Partial-LoRA", "AdaLoRA", "Partial-AdaLoRA"], Figure2.Methods.Select(m => m.Label));
        // Vision: 4 methods × 8 datasets; language: Table 6 has no AdaLoRA row, so 3 × 4.
        Assert.Equal(4 * 8 + 3 * 4, Figure2.Paper.Count);
        Assert.Equal("LoRA", Figure2.MaskedToDense["Partial-LoRA"]);
        Assert.Equal("AdaLoRA", Figure2.MaskedToDense["Partial-AdaLoRA"]);
    }

    [Theory]
    [InlineData(ReproductionProfile.Smoke)]
    [InlineData(ReproductionProfile.Lab)]
    public void Its_runs_are_the_runs_of_tables_5_and_6(ReproductionProfile profile)
    {
        var catalog = ReproductionFixtures.Catalog;
        var code = CodeVersion.Current;
        var fig2 = Figure2.Vision(profile, ReproductionFixtures.Backbones).Spec(catalog).Expand(code).Select(r => r.Key).ToHashSet();
        var table5 = Table5.Setup(profile, ReproductionFixtures.Backbones).Spec(catalog).Expand(code).Select(r => r.Key).ToHashSet();
        Assert.Subset(table5, fig2);
        var fig2Text = Figure2.Language(profile, ReproductionFixtures.Backbones).Spec(catalog).Expand(code).Select(r => r.Key).ToHashSet();
        var table6 = Table6.Setup(profile, ReproductionFixtures.Backbones).Spec(catalog).Expand(code).Select(r => r.Key).ToHashSet();
        Assert.Subset(table6, fig2Text);
        // And the quickstart's are among them.
        Assert.Subset(table5, Quickstart.Setup(profile, ReproductionFixtures.Backbones).Spec(catalog).Expand(code).Select(r => r.Key).ToHashSet());
    }
}
