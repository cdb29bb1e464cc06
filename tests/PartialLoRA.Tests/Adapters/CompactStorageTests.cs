using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

/// <summary>Compact storage against the dense-masked formulation of Eq. 6, and masked entries under training.</summary>
public class CompactStorageTests
{
    public CompactStorageTests() => _ = TestSupport.Torch;

    private static (TinyTransformer Net, AdapterModel Adapter) Make(MaskStorage storage, bool adaLora = false)
    {
        var net = new TinyTransformer(1);
        var masks = new PartialMasks(Methods.Plan(net, 0.5, 0.4), 7);
        AdapterConfig config = adaLora
            ? Methods.AdaLora() with { Masks = masks, Storage = storage }
            : Kit.Lora(init: LoraInit.Random) with { Masks = masks, Storage = storage };
        var am = AdapterModel.Inject(net, config);
        if (adaLora)
            foreach (var l in am.Layers.Cast<AdaLoraLinear>()) Kit.Perturb(l.E, 5, 0.5);
        return (net, am);
    }

    /// <summary>A compact layer's gradients laid out densely (zeros outside the masks).</summary>
    private static Tensor DenseGrad(AdapterLayer layer, string name, Tensor grad) => (layer, name) switch
    {
        (CompactLoraLinear c, "lora_A.weight") => torch.zeros(c.Rank, c.InFeatures).index_copy(1, torch.tensor(c.Mask.ColIndices), grad),
        (CompactLoraLinear c, "lora_B.weight") => torch.zeros(c.OutFeatures, c.Rank).index_copy(0, torch.tensor(c.Mask.RowIndices), grad),
        (AdaLoraLinear { Compact: true } a, "lora_A") => torch.zeros(a.Rank, a.InFeatures).index_copy(1, torch.tensor(a.Mask!.ColIndices), grad),
        (AdaLoraLinear { Compact: true } a, "lora_B") => torch.zeros(a.OutFeatures, a.Rank).index_copy(0, torch.tensor(a.Mask!.RowIndices), grad),
        _ => grad,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Compact_matches_dense_masked_in_outputs_and_gradients_to_1e_6(bool adaLora)
    {
        var (dn, dense) = Make(MaskStorage.Dense, adaLora);
        var (cn, compact) = Make(MaskStorage.Compact, adaLora);
        using var x = TinyTransformer.Input(8, batch: 4, tokens: 6);
        using var cot = TestSupport.Randn(9, 4, TinyTransformer.Classes);
        using (var yd = Kit.Forward(dn, x))
        using (var yc = Kit.Forward(cn, x))
            Assert.True(Kit.MaxAbsDiff(yd, yc) <= 1e-6, $"outputs differ by {Kit.MaxAbsDiff(yd, yc)}");

        var gd = Kit.Gradients(dense, dn, x, cot);
        var gc = Kit.Gradients(compact, cn, x, cot);
        Assert.Equal(gd.Keys, gc.Keys);
        foreach (var layer in compact.Layers)
        {
            foreach (var (name, _) in layer.AdapterParameters())
            {
                var key = layer.ModulePath + "." + name;
                using var expanded = DenseGrad(layer, name, gc[key]);
                Assert.True(Kit.MaxAbsDiff(gd[key], expanded) <= 1e-6, $"{key}: gradients differ by {Kit.MaxAbsDiff(gd[key], expanded)}");
            }
            var dl = dense[layer.ModulePath];
            using var dwd = dl.DeltaWeight();
            using var dwc = layer.DeltaWeight();
            Assert.True(Kit.MaxAbsDiff(dwd, dwc) <= 1e-6);
        }
        Assert.Equal(dense.TrainableParameterCount, compact.TrainableParameterCount);
        Assert.Equal(compact.TrainableParameterCount, compact.StoredTrainableParameterCount);
        Assert.True(dense.StoredTrainableParameterCount > 2 * compact.StoredTrainableParameterCount);
    }

    private static (TinyMlp Net, AdapterModel Adapter) MakeMlp(MaskStorage storage)
    {
        var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var targets = new[] { "layers.0", "layers.1" };
        var masks = new PartialMasks(Methods.Plan(net, 0.5, 0.4, targets: targets), 7);
        return (net, AdapterModel.Inject(net, Kit.Lora(init: LoraInit.Random, targets: targets) with { Masks = masks, Storage = storage }));
    }

    /// <summary>AdamW (lr 0.02, weight decay 0.1) on a regression to a fixed random target.</summary>
    internal static void Train(nn.Module<Tensor, Tensor> net, AdapterModel am, int steps, Tensor x, int outDim)
    {
        var opt = torch.optim.AdamW(am.TrainableParameters(), lr: 0.02, weight_decay: 0.1);
        using var target = TestSupport.Randn(10, x.shape[0], outDim);
        for (var i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = (net.call(x) - target).pow(2).mean();
            loss.backward();
            opt.step();
        }
    }

    [Fact]
    public void Masked_entries_stay_exactly_zero_under_AdamW_with_weight_decay_and_both_forms_train_alike()
    {
        var (dn, dense) = MakeMlp(MaskStorage.Dense);
        var (cn, compact) = MakeMlp(MaskStorage.Compact);
        var before = compact.Layers.ToDictionary(l => l.ModulePath, l => ((CompactLoraLinear)l).A.detach().clone());
        using var x = TestSupport.Randn(4, 16, 12);
        Train(dn, dense, 60, x, 3);
        Train(cn, compact, 60, x, 3);
        foreach (var layer in dense.Layers.Cast<LoraLinear>())
        {
            var m = layer.RowColMask!;
            using var maskedCols = torch.tensor(Enumerable.Range(0, m.Cols).Where(i => !m.ColKeep[i]).Select(i => (long)i).ToArray());
            using var maskedRows = torch.tensor(Enumerable.Range(0, m.Rows).Where(i => !m.RowKeep[i]).Select(i => (long)i).ToArray());
            Assert.True(layer.A.index_select(1, maskedCols).eq(0).all().item<bool>(), $"{layer.ModulePath}: masked columns of A moved");
            Assert.True(layer.B.index_select(0, maskedRows).eq(0).all().item<bool>(), $"{layer.ModulePath}: masked rows of B moved");
            var c = (CompactLoraLinear)compact[layer.ModulePath];
            Assert.False(c.A.detach().equal(before[layer.ModulePath]).all().item<bool>(), "compact adapter did not train");
            using var da = c.DenseA();
            using var db = c.DenseB();
            Assert.True(Kit.MaxAbsDiff(layer.A, da) < 1e-4, $"A trajectories diverged by {Kit.MaxAbsDiff(layer.A, da)}");
            Assert.True(Kit.MaxAbsDiff(layer.B, db) < 1e-4, $"B trajectories diverged by {Kit.MaxAbsDiff(layer.B, db)}");
        }
    }

    [Fact]
    public void Element_masked_entries_stay_exactly_zero_under_AdamW_with_weight_decay()
    {
        using var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var am = AdapterModel.Inject(net, Kit.Lora(targets: ["layers.0", "layers.1"]) with { Masks = ElementMasks.Balanced(0.3, 2), Storage = MaskStorage.Dense });
        using var x = TestSupport.Randn(4, 16, 12);
        Train(net, am, 60, x, 3);
        foreach (var l in am.Layers.Cast<LoraLinear>())
        {
            var m = l.ElementMask!;
            using var offA = torch.tensor(m.KeepA.Select(k => !k).ToArray()).reshape(l.Rank, l.InFeatures);
            using var offB = torch.tensor(m.KeepB.Select(k => !k).ToArray()).reshape(l.OutFeatures, l.Rank);
            Assert.True(l.A.masked_select(offA).eq(0).all().item<bool>());
            Assert.True(l.B.masked_select(offB).eq(0).all().item<bool>());
            Assert.True(l.B.masked_select(offB.logical_not()).ne(0).any().item<bool>());
        }
    }

    [Fact]
    public void Layers_with_nothing_kept_work_in_both_forms()
    {
        var plan = new Dictionary<string, PartialLoRA.Sparsity.LayerSparsity>
        {
            ["layers.0.mlp.fc1"] = new("layers.0.mlp.fc1", 24, 16, 0, 0),
            ["layers.1.mlp.fc1"] = new("layers.1.mlp.fc1", 24, 16, 24, 16),
        };
        foreach (var storage in new[] { MaskStorage.Dense, MaskStorage.Compact })
        {
            using var net = new TinyTransformer(1);
            var am = AdapterModel.Inject(net, Kit.Lora(targets: ["fc1"]) with { Masks = new PartialMasks(plan, 1), Storage = storage });
            Assert.Equal(4L * (24 + 16), am.TrainableParameterCount);
            using var x = TinyTransformer.Input(3);
            Train(net, am, 2, x, TinyTransformer.Classes);
            using var dw = am["layers.0.mlp.fc1"].DeltaWeight();
            Assert.Equal(0f, dw.abs().sum().item<float>());
        }
    }
}
