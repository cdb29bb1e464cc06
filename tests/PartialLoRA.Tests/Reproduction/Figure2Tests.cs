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
        HashSet<string> Keys(System.Text.Json.Nodes.JsonObject spec) =>
            SweepSpec.Parse(spec.ToJsonString(), "k", catalog).Expand(code).Select(r => r.Key).ToHashSet();
        var backbones = ReproductionFixtures.Backbones;
        var table5 = Keys(Table5.Spec(profile, 5, backbones));
        Assert.Subset(table5, Keys(Figure2.Vision(profile, 5, backbones)));
        Assert.Subset(Keys(Table6.Spec(profile, 5, backbones)), Keys(Figure2.Language(profile, 5, backbones)));
        // And the quickstart's are among them.
        Assert.Subset(table5, Keys(Quickstart.Spec(profile, 5, backbones)));
    }
}
