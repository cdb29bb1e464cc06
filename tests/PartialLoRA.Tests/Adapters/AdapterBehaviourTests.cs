using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

/// <summary>Properties every adapter method must have, checked for each flavour.</summary>
public class AdapterBehaviourTests
{
    public AdapterBehaviourTests() => _ = TestSupport.Torch;

    public static IEnumerable<object[]> AllMethods => Methods.Data;

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Disabled_adapter_gives_the_base_model_and_enabled_differs(string method)
    {
        using var baseNet = new TinyTransformer(1);
        using var x = TinyTransformer.Input(2);
        using var y0 = Kit.Forward(baseNet, x);
        using var net = new TinyTransformer(1);
        var am = Methods.Build(method, net);
        using (var y1 = Kit.Forward(net, x)) Assert.True(Kit.MaxAbsDiff(y0, y1) > 1e-5, $"{method}: the adapter changes nothing");
        am.DisableAdapters();
        using (var y2 = Kit.Forward(net, x)) Assert.Equal(0f, Kit.MaxAbsDiff(y0, y2));
        am.EnableAdapters();
        am.Merge();
        am.DisableAdapters();
        Assert.All(am.Layers, l => Assert.False(l.Merged));
        using (var y3 = Kit.Forward(net, x)) Assert.True(Kit.MaxAbsDiff(y0, y3) < 1e-6);
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Merged_forward_equals_unmerged_forward_and_unmerge_restores_the_weights(string method)
    {
        using var net = new TinyTransformer(1);
        var am = Methods.Build(method, net);
        using var x = TinyTransformer.Input(2);
        var weights = am.Layers.ToDictionary(l => l.ModulePath, l => l.BaseLayer.weight!.detach().clone());
        using var y = Kit.Forward(net, x);
        am.Merge();
        using (var ym = Kit.Forward(net, x)) Assert.True(Kit.MaxAbsDiff(y, ym) < 1e-5, $"{method}: merged differs by {Kit.MaxAbsDiff(y, ym)}");
        am.Unmerge();
        foreach (var l in am.Layers) Assert.True(Kit.MaxAbsDiff(weights[l.ModulePath], l.BaseLayer.weight!) < 1e-6);
        using (var yu = Kit.Forward(net, x)) Assert.True(Kit.MaxAbsDiff(y, yu) < 1e-5);
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void DeltaWeight_is_the_effective_dense_residual_of_every_layer(string method)
    {
        using var net = new TinyTransformer(1);
        var am = Methods.Build(method, net);
        using var _ = torch.no_grad();
        foreach (var layer in am.Layers)
        {
            using var scope = torch.NewDisposeScope();
            var x = TestSupport.Randn(3, 7, layer.InFeatures);
            var expected = nn.functional.linear(x, layer.BaseLayer.weight! + layer.DeltaWeight(), layer.BaseLayer.bias);
            Assert.Equal(new long[] { layer.OutFeatures, layer.InFeatures }, layer.DeltaWeight().shape);
            Assert.True(Kit.MaxAbsDiff(layer.call(x), expected) < 1e-5, $"{method} at {layer.ModulePath}");
        }
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Trainable_count_equals_the_closed_form_and_compact_storage_holds_exactly_that(string method)
    {
        using var net = new TinyTransformer(1);
        var am = Methods.Build(method, net);
        Assert.Equal(Methods.ClosedFormCount(am), am.TrainableParameterCount);
        var dense = am.Layers.Any(l => l is LoraLinear { RowColMask: not null } or LoraLinear { ElementMask: not null } or AdaLoraLinear { Mask: not null, Compact: false });
        if (dense) Assert.True(am.StoredTrainableParameterCount > am.TrainableParameterCount);
        else Assert.Equal(am.TrainableParameterCount, am.StoredTrainableParameterCount);
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Same_seed_gives_the_same_adapter_and_another_seed_another(string method)
    {
        using var x = TinyTransformer.Input(2);
        Tensor Run(long seed)
        {
            using var net = new TinyTransformer(1);
            var config = Methods.Config(method, net) with { Seed = seed };
            var am = AdapterModel.Inject(net, config);
            foreach (var (_, p) in am.NamedTrainableParameters().Where(p => p.Parameter.abs().sum().item<float>() == 0))
                Kit.Perturb(p, 1, 0.3);
            return Kit.Forward(net, x);
        }
        using var a = Run(5);
        using var b = Run(5);
        Assert.Equal(0f, Kit.MaxAbsDiff(a, b));
        if (method is "vera") return; // VeRA's randomness is its projection key, checked in VeraTests
        using var c = Run(6);
        Assert.True(Kit.MaxAbsDiff(a, c) > 1e-6);
    }

    [Fact]
    public void LoRA_starts_as_PEFT_does_A_uniform_in_one_over_sqrt_n_B_zero()
    {
        using var net = new TinyTransformer(1);
        using var x = TinyTransformer.Input(2);
        using var y0 = Kit.Forward(net, x);
        var am = AdapterModel.Inject(net, Kit.Lora(r: 8, init: LoraInit.Default));
        using (var y1 = Kit.Forward(net, x)) Assert.Equal(0f, Kit.MaxAbsDiff(y0, y1));
        foreach (var l in am.Layers.Cast<LoraLinear>())
        {
            Assert.Equal(0f, l.B.abs().max().item<float>());
            var bound = 1 / Math.Sqrt(l.InFeatures);
            Assert.True(l.A.abs().max().item<float>() <= bound);
            Assert.True(l.A.abs().max().item<float>() > 0.8 * bound);
            Assert.Equal(8.0 / 8, l.Scaling);
        }

        using var net2 = new TinyTransformer(1);
        var g = AdapterModel.Inject(net2, Kit.Lora(r: 4, init: LoraInit.Gaussian, targets: ["fc1"]));
        var a = torch.cat(g.Layers.Cast<LoraLinear>().Select(l => l.A.detach().flatten()).ToList(), 0);
        Assert.InRange(a.std().item<float>(), 0.2, 0.3); // N(0, 1/r) with r = 4 over 192 draws
        Assert.Equal(2.0, g.Layers.Cast<LoraLinear>().First().Scaling);
    }
}

public class HalfPrecisionTests
{
    public HalfPrecisionTests() => _ = TestSupport.Torch;

    [Theory]
    [InlineData("lora")]
    [InlineData("dora")]
    [InlineData("vera")]
    [InlineData("adalora")]
    [InlineData("partial-compact")]
    [InlineData("masking")]
    public void On_a_bfloat16_base_the_adapter_trains_in_float32_and_returns_bfloat16(string method)
    {
        using var net = new TinyTransformer(1);
        net.to(ScalarType.BFloat16);
        var am = Methods.Build(method, net);
        Assert.All(am.TrainableParameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        using var x = TinyTransformer.Input(2).to(ScalarType.BFloat16);
        using var y = net.call(x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        y.to(ScalarType.Float32).pow(2).sum().backward();
        Assert.All(am.TrainableParameters(), p => Assert.True(p.grad is not null && p.grad.dtype == ScalarType.Float32));
        using var y0 = Kit.Forward(net, x);
        am.Merge();
        using var ym = Kit.Forward(net, x);
        Assert.True(Kit.MaxAbsDiff(y0, ym) < 5e-2, $"{method}: merged bf16 differs by {Kit.MaxAbsDiff(y0, ym)}");
    }
}
