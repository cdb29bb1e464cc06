using PartialLoRA.Reproduction;
using static PartialLoRA.Tests.Reproduction.ReproductionSupport;

namespace PartialLoRA.Tests.Reproduction;

public class Table2Tests
{
    [Fact]
    public void The_transcribed_rows_average_to_the_printed_average_row()
    {
        foreach (var c in Table2.Columns)
        {
            var mean = Table2.Paper.Average(r => r[c.Label]);
            Assert.True(Math.Abs(mean - Table2.PaperAverage[c.Label]) <= 0.011, $"{c.Label}: rows average {mean:F3}, printed {Table2.PaperAverage[c.Label]}");
        }
    }

    [Theory]
    [InlineData(ReproductionProfile.Smoke, 1, 1, 1)]
    [InlineData(ReproductionProfile.Lab, 3, 4, 5)]
    public void Specs_validate_against_the_catalog_and_expand_to_the_protocol(ReproductionProfile profile, int datasets, int seeds, int lrs)
    {
        var spec = Parse(Table2.Spec(profile, 7, new[] { "cifar10", "fer2013", "gtsrb" }[..datasets], VisionPreset));
        Assert.Equal(Table2.Columns.Select(c => c.Label), spec.Methods.Select(m => m.Label));
        Assert.Equal(datasets * 6 * seeds * lrs, spec.Expand("test").Count);
        Assert.Equal(profile == ReproductionProfile.Smoke ? [7L] : [0L, 1, 2, 3], spec.Seeds);
        Assert.Equal(profile == ReproductionProfile.Smoke ? ReproductionSweep.SmokeVisionTestLimit : null, spec.Datasets[0].Options["test_limit"]?.GetValue<int>());
        Assert.Equal(profile == ReproductionProfile.Smoke ? ReproductionSweep.SmokeShots : 16, spec.Datasets[0].Options["shots"]!.GetValue<int>());
        // Targeted, Partial (SVD) and Inverted share Algorithm 1's SVD plan; the Partial columns differ only in importance.
        Assert.Equal(["svd", "svd", "snip", "imp", "svd"], spec.Methods.Where(m => m.Spec.Name != "lora")
            .Select(m => m.Spec.Options["importance"]!.GetValue<string>()));
    }

    [Fact]
    public void The_default_models_are_the_lab_backbone_and_the_paper_checkpoint()
    {
        Assert.Equal("lab-vision", Table2.Spec(ReproductionProfile.Smoke, 0, ["cifar10"])["model"]!["name"]!.GetValue<string>());
        var paper = Table2.Spec(ReproductionProfile.Paper, 0, ["cifar10"])["model"]!;
        Assert.Equal(("clip-vit-b16", PaperModels.Clip.Path()), (paper["name"]!.GetValue<string>(), paper["checkpoint"]!.GetValue<string>()));
    }

    [Fact]
    public void The_frame_puts_ours_and_the_papers_number_on_the_same_row()
    {
        var spec = Parse(Table2.Spec(ReproductionProfile.Smoke, 0, ["cifar10", "fer2013"], VisionPreset));
        var result = Result(spec, [("cifar10", "Inverted", 0, 0.75, 900), ("cifar10", "LoRA", 0, 0.5, 1000), ("fer2013", "LoRA", 0, 0.25, 1000)]);
        var frame = Table2.Frame(result);
        Assert.Equal(12, frame.Rows.Count);
        Assert.Equal(["dataset", "method", "accuracy (%)", "± std", "trainable params", "runs", "paper (%)"], frame.Columns.Select(c => c.Name));
        var inverted = frame.Rows.Single(r => (string)r[0] == "CIFAR-10" && (string)r[1] == "Inverted");
        Assert.Equal((75.0, 900L, 1, 94.59), ((double)inverted[2], (long)inverted[4], (int)inverted[5], (double)inverted[6]));
        var ferLora = frame.Rows.Single(r => (string)r[0] == "FER2013" && (string)r[1] == "LoRA");
        Assert.Equal((25.0, 57.96), ((double)ferLora[2], (double)ferLora[6]));
        var missing = frame.Rows.Single(r => (string)r[0] == "FER2013" && (string)r[1] == "Inverted");
        Assert.True(double.IsNaN((double)missing[2]));
        Assert.Equal(0, (int)missing[5]);

        var bars = Table2.Bars(result, "cifar10");
        Assert.Equal(Table2.Columns.Select(c => c.Label), bars.Methods);
        Assert.Equal([94.50, 94.45, 94.35, 94.22, 93.89, 94.59], bars.Paper);
        Assert.Equal(50.0, bars.Ours[0]);
    }
}
