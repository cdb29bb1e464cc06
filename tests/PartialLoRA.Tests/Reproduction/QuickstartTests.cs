using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;
using PartialLoRA.Sparsity;

namespace PartialLoRA.Tests.Reproduction;

public class QuickstartTests
{
    [Theory]
    [InlineData(ReproductionProfile.Smoke, 2)]
    [InlineData(ReproductionProfile.Lab, 40)]
    public void Lora_and_partial_lora_on_cifar10(ReproductionProfile profile, int runs)
    {
        var spec = SweepSpec.Parse(Quickstart.Spec(profile, 0, ReproductionFixtures.Backbones).ToJsonString(), "q", ReproductionFixtures.Catalog);
        Assert.Equal(["cifar10"], spec.Datasets.Select(d => d.Name));
        Assert.Equal(["lora", "partial-lora"], spec.Methods.Select(m => m.Spec.Name));
        Assert.Equal(runs, spec.Expand(CodeVersion.Current).Count);
        Assert.Equal(["LoRA", "Partial-LoRA"], Quickstart.Paper.Select(p => p.Method));
        Assert.Equal([94.50, 94.35], Quickstart.Paper.Select(p => p.Score));
    }

    [Fact]
    public void Plan_frame_shows_eq_6_ratios_and_parameter_counts()
    {
        var plan = new SparsityPlan(new PlanProvenance { Schedule = PlanSchedule.Algorithm1, Model = "m", ModelHash = "h" },
            [new LayerSparsity("a.q_proj", 192, 96, 48, 96), new LayerSparsity("a.v_proj", 192, 96, 0, 24)]);
        var f = Quickstart.PlanFrame(plan, rank: 8);
        Assert.Equal(0.25, (double)f.Columns["p_row"][0]!);
        Assert.Equal(1.0, (double)f.Columns["p_col"][0]!);
        Assert.Equal(8L * (192 + 96), (long)f.Columns["LoRA params"][1]!);
        Assert.Equal(8 * (0.25 * 192 + 96), (double)f.Columns["E[Partial-LoRA params]"][0]!);
        Assert.Equal(8 * 24.0, (double)f.Columns["E[Partial-LoRA params]"][1]!);
        Assert.Equal("192 × 96", f.Columns["out × in"][0]);
    }
}
