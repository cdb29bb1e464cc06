using PartialLoRA.Sparsity;
using PartialLoRA.Tests.Importance;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Sparsity;

public class SparsitySchedulesTests
{
    public SparsitySchedulesTests() => _ = TestSupport.Torch;

    private static readonly PlanProvenance Prov = new() { Schedule = PlanSchedule.Balanced, Model = "m", ModelHash = "sha256:1" };

    [Fact]
    public void Balanced_gives_every_layer_the_same_density()
    {
        var plan = SparsitySchedules.Balanced([("a", 768, 768), ("b", 3072, 768)], 0.3, Prov);
        Assert.Equal((PlanSchedule.Balanced, 0.3), (plan.Provenance.Schedule, plan.Provenance.P));
        Assert.All(plan.Layers, l => Assert.Equal(0.3, l.Density));
        Assert.Equal((230, 230), (plan.Layers[0].KeptRows, plan.Layers[0].KeptCols)); // 230.4 rounds to 230
        Assert.Equal((922, 230), (plan.Layers[1].KeptRows, plan.Layers[1].KeptCols)); // 921.6 → 922
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], SparsitySchedules.BalancedSweep);
    }

    [Fact]
    public void Pyramidal_density_is_p_to_the_depth_with_the_first_block_at_depth_1()
    {
        using var model = BlockMlp.Random([4, 8, 8, 8, 3], seed: 1);
        var plan = SparsitySchedules.Pyramidal(model, ["layers.0.fc", "layers.1.fc", "layers.2.fc"], 0.5, Prov);
        Assert.Equal(PlanSchedule.Pyramidal, plan.Provenance.Schedule);
        Assert.Equal([0.5, 0.25, 0.125], plan.Layers.Select(l => l.Density!.Value));
        Assert.Equal([4, 2, 1], plan.Layers.Select(l => l.KeptRows));
        var outside = Assert.Throws<ArgumentException>(() => SparsitySchedules.Pyramidal(model, ["classifier"], 0.5, Prov));
        Assert.Contains("'classifier' is outside the model's blocks", outside.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.2)]
    [InlineData(double.NaN)]
    public void P_outside_0_1_is_rejected(double p)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SparsitySchedules.Balanced([("a", 4, 4)], p, Prov));
        Assert.Throws<ArgumentOutOfRangeException>(() => SparsitySchedules.Pyramidal([("a", 4, 4)], _ => 1, p, Prov));
    }
}
