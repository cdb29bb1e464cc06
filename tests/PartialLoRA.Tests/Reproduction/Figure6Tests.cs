using PartialLoRA.Reproduction;
using static PartialLoRA.Tests.Reproduction.ReproductionSupport;

namespace PartialLoRA.Tests.Reproduction;

public class Figure6Tests
{
    [Fact]
    public void Lab_sweeps_the_papers_five_ranks_for_three_methods()
    {
        var spec = Parse(Figure6.Spec(ReproductionProfile.Lab, 0, ["cifar10"], VisionPreset));
        Assert.Equal(3 * 5 * 20, spec.Expand("t").Count);
        Assert.Equal([1, 4, 16, 32, 64, 1, 4, 16, 32, 64, 1, 4, 16, 32, 64], spec.Methods.Select(m => m.Spec.Options["rank"]!.GetValue<int>()));
        Assert.All(spec.Methods, m => Assert.Equal(8.0, m.Spec.Options["alpha"]!.GetValue<double>()));
        Assert.Equal(["Figure 6", "Figure 16 (App. F)"], new[] { Figure6.PaperFigure("cifar100"), Figure6.PaperFigure("gtsrb") });
    }

    [Fact]
    public void The_band_spans_all_runs_while_the_line_is_the_protocol_mean()
    {
        // lab: top-5 of the runs, so the line is the mean of both LoRA r=1 runs
        var spec = Parse(Figure6.Spec(ReproductionProfile.Lab, 0, ["cifar10"], VisionPreset));
        var result = Result(spec, [
            ("cifar10", "LoRA r=1", 0, 0.30, 400), ("cifar10", "LoRA r=1", 1, 0.50, 400), ("cifar10", "LoRA r=4", 0, 0.45, 800),
        ]);
        var c = Figure6.Curve(result, "cifar10", "LoRA", ReproductionProfile.Lab);
        Assert.Equal([1.0, 4], c.Rank);
        Assert.Equal([40.0, 45], c.Mean.Select(m => Math.Round(m, 6)));
        Assert.Equal([30.0, 45], c.Min.Select(m => Math.Round(m, 6)));
        Assert.Equal([50.0, 45], c.Max.Select(m => Math.Round(m, 6)));
        Assert.Equal([400.0, 800], c.Parameters);
        Assert.Empty(Figure6.Curve(result, "cifar10", "Partial-LoRA", ReproductionProfile.Lab).Rank);
        Assert.Equal(3 * 5, Figure6.Frame(result, ReproductionProfile.Lab).Rows.Count);
    }
}
