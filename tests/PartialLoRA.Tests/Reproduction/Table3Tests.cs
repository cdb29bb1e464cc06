using PartialLoRA.Reproduction;
using static PartialLoRA.Tests.Reproduction.ReproductionSupport;

namespace PartialLoRA.Tests.Reproduction;

public class Table3Tests
{
    [Fact]
    public void The_transcribed_rows_average_to_the_printed_average_row()
    {
        foreach (var (label, _) in Table3.Columns)
            Assert.Equal(Table3.PaperAverage[label], Table3.Paper.Average(r => r[label]), 2);
    }

    [Fact]
    public void Every_dataset_trains_on_the_whole_split_and_smoke_on_a_subset()
    {
        var smoke = Parse(Table3.Spec(ReproductionProfile.Smoke, 0, ["gtsrb"], VisionPreset));
        Assert.True(smoke.Datasets[0].Options["whole"]!.GetValue<bool>());
        Assert.Equal((400, 300), (smoke.Datasets[0].Options["train_limit"]!.GetValue<int>(), smoke.Datasets[0].Options["test_limit"]!.GetValue<int>()));
        var lab = Parse(Table3.Spec(ReproductionProfile.Lab, 0, ["cifar10", "gtsrb"], VisionPreset));
        Assert.All(lab.Datasets, d => Assert.True(d.Options["whole"]!.GetValue<bool>() && d.Options["train_limit"] is null));
        Assert.Equal(2 * 3 * 20, lab.Expand("t").Count);
    }

    [Fact]
    public void The_frame_carries_the_papers_column()
    {
        var spec = Parse(Table3.Spec(ReproductionProfile.Smoke, 0, ["gtsrb"], VisionPreset));
        var frame = Table3.Frame(Result(spec, [("gtsrb", "Partial-LoRA", 0, 0.9, 2000)]));
        var partial = frame.Rows.Single(r => (string)r[1] == "Partial-LoRA");
        Assert.Equal(("GTSRB", 90.0, 99.08), ((string)partial[0], Math.Round((double)partial[2], 6), (double)partial[6]));
    }
}
