using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

/// <summary>DoRA, VeRA, LoRA+, LoRPA and random masking details.</summary>
public class MethodSpecificTests
{
    public MethodSpecificTests() => _ = TestSupport.Torch;

    [Fact]
    public void DoRA_magnitude_starts_at_the_row_norms_of_W_and_the_output_at_the_base()
    {
        using var net = new TinyTransformer(1);
        using var x = TinyTransformer.Input(2);
        using var y0 = Kit.Forward(net, x);
        var am = AdapterModel.Inject(net, Kit.Lora(init: LoraInit.Default) with { UseDora = true });
        foreach (var l in am.Layers.Cast<DoraLinear>())
        {
            using var norms = l.BaseLayer.weight!.pow(2).sum(1).sqrt();
            Assert.True(Kit.MaxAbsDiff(norms, l.Magnitude) < 1e-6);
        }
        using var y1 = Kit.Forward(net, x);
        Assert.True(Kit.MaxAbsDiff(y0, y1) < 1e-5);
        Assert.Equal(["lora_A.weight", "lora_B.weight", "lora_magnitude_vector"], am.Layers[0].AdapterParameters().Select(p => p.Name));
    }

    [Fact]
    public void DoRA_treats_the_norm_as_a_constant_in_backpropagation()
    {
        // With B = 0 the gradient of A is zero only if no gradient flows through ‖W + sBA‖ (DoRA §4.3, as PEFT).
        using var net = new TinyTransformer(1);
        var am = AdapterModel.Inject(net, Kit.Lora(init: LoraInit.Default, targets: ["fc1"]) with { UseDora = true });
        using var x = TinyTransformer.Input(2);
        using var cot = torch.ones(3, TinyTransformer.Classes);
        var g = Kit.Gradients(am, net, x, cot);
        Assert.Equal(0f, g["layers.0.mlp.fc1.lora_A.weight"].abs().max().item<float>());
        Assert.True(g["layers.0.mlp.fc1.lora_B.weight"].abs().max().item<float>() > 0);
        Assert.True(g["layers.0.mlp.fc1.lora_magnitude_vector"].abs().max().item<float>() > 0);
    }

    [Fact]
    public void VeRA_shares_one_projection_pair_sized_by_the_largest_layer_and_trains_only_the_vectors()
    {
        using var net = new TinyTransformer(1);
        var am = AdapterModel.Inject(net, new VeraConfig { TargetModules = TargetModules.Of(TinyTransformer.AllLinear), R = 5, ProjectionPrngKey = 9, DInitial = 0.2 });
        var p = am.VeraProjections!;
        Assert.Equal((5, TinyTransformer.Ffn, TinyTransformer.Ffn), (p.Rank, p.MaxIn, p.MaxOut));
        Assert.All(am.Layers.Cast<VeraLinear>(), l => Assert.Same(p, l.Projections));
        var boundA = Math.Sqrt(6.0 / TinyTransformer.Ffn);
        var boundB = Math.Sqrt(6.0 / 5);
        Assert.InRange(p.A.abs().max().item<float>(), 0.8 * boundA, boundA);
        Assert.InRange(p.B.abs().max().item<float>(), 0.6 * boundB, boundB);
        using var again = VeraProjections.Create(5, TinyTransformer.Ffn, TinyTransformer.Ffn, 9);
        Assert.Equal(0f, Kit.MaxAbsDiff(p.A, again.A));
        using var other = VeraProjections.Create(5, TinyTransformer.Ffn, TinyTransformer.Ffn, 10);
        Assert.True(Kit.MaxAbsDiff(p.A, other.A) > 0);
        var fc1 = (VeraLinear)am["layers.0.mlp.fc1"];
        Assert.True(fc1.LambdaD.eq(0.2f).all().item<bool>());
        Assert.True(fc1.LambdaB.eq(0).all().item<bool>());
        Assert.Equal(12 * 5L + 10 * 16 + 2 * 24, am.TrainableParameterCount);
        Assert.All(am.NamedTrainableParameters(), t => Assert.Matches(@"\.vera_lambda_[bd]$", t.Name));
    }

    [Fact]
    public void LoRA_plus_gives_B_lambda_times_As_learning_rate()
    {
        using var net = new TinyTransformer(1);
        var am = AdapterModel.Inject(net, Kit.Lora(targets: ["q_proj", "fc1"]) with { UseDora = true, ModulesToSave = ["classifier", "norm"] });
        var groups = LoraPlus.Split(am);
        Assert.All(groups.A, p => Assert.True(p.Name.Contains("lora_A") || p.Name == "classifier.weight"));
        Assert.Equal(4, groups.A.Count(p => p.Name.Contains("lora_A")));
        Assert.Contains(groups.B, p => p.Name == "layers.0.self_attn.q_proj.lora_B.weight");
        Assert.Contains(groups.B, p => p.Name == "layers.1.mlp.fc1.lora_magnitude_vector");
        Assert.Equal(["classifier.bias", "norm.bias", "norm.weight"], groups.BNoDecay.Select(p => p.Name).Order());
        Assert.Equal(am.TrainableParameters().Count, groups.A.Count + groups.B.Count + groups.BNoDecay.Count);

        var opt = LoraPlus.CreateAdamW(am, lr: 1e-3, ratio: 16, weightDecay: 0.01);
        var lrs = opt.ParamGroups.Select(g => g.LearningRate).ToList();
        Assert.Equal(3, lrs.Count);
        Assert.Equal(1e-3, lrs[0], 12);
        Assert.Equal(16e-3, lrs[1], 12);
        Assert.Equal(16e-3, lrs[2], 12);
        var built = LoraPlus.AdamWGroups(am, 1e-3, 16, 0.01);
        Assert.Equal(0.01, ((AdamW.Options)built[1].Options).weight_decay);
        Assert.Equal(0.0, ((AdamW.Options)built[2].Options).weight_decay);

        // One step with plain gradients: Adam's first update is ±lr per entry, so B moves 16× as far as A.
        using var x = TinyTransformer.Input(1);
        var a = ((DoraLinear)am["layers.0.mlp.fc1"]).A;
        var b = ((DoraLinear)am["layers.0.mlp.fc1"]).B;
        Kit.Perturb(b, 3, 0.1);
        using var a0 = a.detach().clone();
        using var b0 = b.detach().clone();
        opt.zero_grad();
        net.call(x).pow(2).sum().backward();
        opt.step();
        using var da = (a - a0).abs().max();
        using var db = (b - b0).abs().max();
        Assert.Equal(16, db.item<float>() / da.item<float>(), 0);
        Assert.Contains("ratio", Assert.Throws<ArgumentException>(() => LoraPlus.AdamWGroups(am, 1e-3, 0)).Message);
    }

    [Fact]
    public void LoRPA_prunes_by_magnitude_then_retrains_the_fixed_structure()
    {
        using var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var am = AdapterModel.Inject(net, Kit.Lora(r: 8, targets: ["layers.0", "layers.1"]));
        using var initial = Lorpa.Capture(am);
        using var x = TestSupport.Randn(4, 16, 12);
        CompactStorageTests.Train(net, am, 20, x, 3);
        var full = am.TrainableParameterCount;
        var l0 = (LoraLinear)am.Layers[0];
        var threshold = l0.A.abs().flatten().sort(descending: true).Values[(long)Math.Ceiling(0.25 * l0.A.numel()) - 1].item<float>();

        Lorpa.Prune(am, 0.25);
        Assert.Equal(am.Layers.Sum(l => (long)Math.Ceiling(0.25 * 8 * l.InFeatures) + (long)Math.Ceiling(0.25 * 8 * l.OutFeatures)), am.TrainableParameterCount);
        Assert.True(am.TrainableParameterCount < full / 3);
        var kept = l0.A.abs().masked_select(l0.A.ne(0));
        Assert.True(kept.min().item<float>() >= threshold);
        Assert.Equal("lorpa", ((LoraConfig)am.Config).Masks!.Kind);

        CompactStorageTests.Train(net, am, 20, x, 3);
        using var offA = torch.tensor(l0.ElementMask!.KeepA.Select(k => !k).ToArray()).reshape(8, 12);
        Assert.True(l0.A.masked_select(offA).eq(0).all().item<bool>());

        using var net2 = new TinyMlp(1, inDim: 12, hidden: 16);
        var am2 = AdapterModel.Inject(net2, Kit.Lora(r: 8, targets: ["layers.0", "layers.1"]));
        using var start = Lorpa.Capture(am2);
        CompactStorageTests.Train(net2, am2, 10, x, 3);
        Lorpa.Prune(am2, 0.5, LorpaScope.Global, rewindTo: start);
        var r0 = (LoraLinear)am2.Layers[0];
        using var mA = torch.tensor(r0.ElementMask!.KeepA).reshape(8, 12).to(ScalarType.Float32);
        Assert.Equal(0f, Kit.MaxAbsDiff(r0.A, start["layers.0"].A * mA));
        var total = am2.Layers.Sum(l => 8L * (l.InFeatures + l.OutFeatures));
        Assert.Equal((long)Math.Ceiling(0.5 * total), am2.TrainableParameterCount);
        Assert.Contains("keep fraction", Assert.Throws<ArgumentException>(() => Lorpa.Prune(am2, 0)).Message);
    }

    [Fact]
    public void Random_masking_trains_only_its_positions()
    {
        using var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var am = AdapterModel.Inject(net, new MaskingConfig { TargetModules = TargetModules.Of("layers.0", "layers.1"), Density = 0.1, Seed = 3 });
        var l0 = (MaskedDeltaLinear)am.Layers[0];
        Assert.Equal((long)Math.Ceiling(0.1 * 16 * 12), l0.Positions.Length);
        Assert.Equal(l0.Positions.Distinct().Count(), l0.Positions.Length);
        using var x = TestSupport.Randn(4, 16, 12);
        CompactStorageTests.Train(net, am, 10, x, 3);
        using var dw = l0.DeltaWeight();
        var flat = dw.flatten().data<float>().ToArray();
        var positions = l0.Positions.ToHashSet();
        for (var i = 0; i < flat.Length; i++)
            if (!positions.Contains(i)) Assert.Equal(0f, flat[i]);
        Assert.True(positions.Count(p => flat[p] != 0) > positions.Count / 2);
        using var g = PartialLoRA.Adapters.Masks.LayerSeeds.Generator(3, "layers.0", "masking");
        var again = MaskedDeltaLinear.SamplePositions(16, 12, 0.1, g);
        Assert.Equal(l0.Positions, again.Order());
    }
}
