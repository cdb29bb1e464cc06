using PartialLoRA.Importance;

namespace PartialLoRA.Tests.Importance;

public class TargetLayerTests
{
    public TargetLayerTests() => _ = TestSupport.Torch;

    [Fact]
    public void Resolves_linear_layers_by_path_with_their_shape()
    {
        using var model = BlockMlp.Random([5, 7, 3], seed: 1);
        var t = TargetLayer.Resolve(model, ["layers.0.fc", "classifier"]);
        Assert.Equal((7, 5, "layers.0"), (t[0].Rows, t[0].Cols, t[0].Parent));
        Assert.Equal((3, 7, ""), (t[1].Rows, t[1].Cols, t[1].Parent));
        Assert.Equal(["layers.0.fc"], TargetLayer.FindPaths(model, "fc"));
    }

    [Fact]
    public void A_layer_that_is_not_in_the_model_is_a_clear_error()
    {
        using var model = BlockMlp.Random([5, 7, 3], seed: 1);
        var e = Assert.Throws<ArgumentException>(() => TargetLayer.Resolve(model, ["layers.3.fc"]));
        Assert.Contains("layer 'layers.3.fc' is not in the model", e.Message);
        Assert.Contains("layers.0.fc", e.Message); // says what exists
        var notLinear = Assert.Throws<ArgumentException>(() => TargetLayer.Resolve(model, ["layers.0"]));
        Assert.Contains("expected a Linear", notLinear.Message);
        Assert.Throws<ArgumentException>(() => TargetLayer.Resolve(model, ["classifier", "classifier"]));
        Assert.Throws<ArgumentException>(() => TargetLayer.Resolve(model, []));
    }
}
