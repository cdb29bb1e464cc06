using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Sparsity;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

public class MaskTests
{
    public MaskTests() => _ = TestSupport.Torch;

    private static Dictionary<string, RowColMask> Masks(AdapterModel am) => am.Layers.ToDictionary(l => l.ModulePath, l => l switch
    {
        LoraLinear { RowColMask: { } m } => m,
        CompactLoraLinear c => c.Mask,
        AdaLoraLinear { Mask: { } m } => m,
        _ => throw new InvalidOperationException(l.GetType().Name),
    });

    [Fact]
    public void Partial_masks_depend_only_on_seed_and_module_path()
    {
        using var net = new TinyTransformer(1);
        var plan = Methods.Plan(net, 0.5, 0.5);
        var spec = new PartialMasks(plan, 42);
        var a = spec.Create("layers.1.mlp.fc1", 24, 16);
        // A plan listing the modules in another order, and other modules created first, give the same mask.
        var reversed = new PartialMasks(plan.Reverse().ToDictionary(), 42);
        _ = reversed.Create("layers.0.mlp.fc1", 24, 16);
        var b = reversed.Create("layers.1.mlp.fc1", 24, 16);
        Assert.Equal(a.RowKeep, b.RowKeep);
        Assert.Equal(a.ColKeep, b.ColKeep);
        var other = new PartialMasks(plan, 43).Create("layers.1.mlp.fc1", 24, 16);
        Assert.False(a.RowKeep.SequenceEqual(other.RowKeep) && a.ColKeep.SequenceEqual(other.ColKeep));
        var otherModule = spec.Create("layers.0.mlp.fc1", 24, 16);
        Assert.False(a.RowKeep.SequenceEqual(otherModule.RowKeep) && a.ColKeep.SequenceEqual(otherModule.ColKeep));
    }

    [Fact]
    public void Partial_masks_are_Bernoulli_with_the_plans_ratios()
    {
        var plan = new Dictionary<string, LayerSparsity> { ["w"] = new("w", 4000, 3000, 1000, 2400) };
        var m = new PartialMasks(plan, 1).Create("w", 4000, 3000);
        Assert.InRange(m.KeptRows / 4000.0, 0.25 - 0.03, 0.25 + 0.03);
        Assert.InRange(m.KeptCols / 3000.0, 0.8 - 0.03, 0.8 + 0.03);
        var all = new PartialMasks(new Dictionary<string, LayerSparsity> { ["w"] = new("w", 50, 40, 50, 0) }, 1).Create("w", 50, 40);
        Assert.Equal(50, all.KeptRows);
        Assert.Equal(0, all.KeptCols);
    }

    [Fact]
    public void Targeted_uses_the_index_sets_and_Inverted_their_complement()
    {
        using var net = new TinyTransformer(1);
        var plan = Methods.Plan(net, 0.25, 0.5);
        var targeted = Masks(AdapterModel.Inject(net, Kit.Lora() with { Masks = new TargetedMasks(plan) }));
        using var net2 = new TinyTransformer(1);
        var inverted = Masks(AdapterModel.Inject(net2, Kit.Lora() with { Masks = new InvertedMasks(plan), Storage = MaskStorage.Dense }));
        foreach (var (path, s) in plan)
        {
            Assert.Equal(s.RowIndices!.Select(i => (long)i), targeted[path].RowIndices);
            Assert.Equal(s.ColIndices!.Select(i => (long)i), targeted[path].ColIndices);
            Assert.Equal(targeted[path].RowKeep.Select(k => !k), inverted[path].RowKeep);
            Assert.Equal(targeted[path].ColKeep.Select(k => !k), inverted[path].ColKeep);
            Assert.Equal(s.Rows - s.KeptRows, inverted[path].KeptRows);
        }
    }

    [Fact]
    public void Sampled_masks_keep_the_planned_counts_favour_high_scores_and_are_seeded()
    {
        var plan = new Dictionary<string, LayerSparsity> { ["w"] = new("w", 200, 100, 20, 10) };
        var rows = Enumerable.Range(0, 200).Select(i => i < 20 ? 10f : 0f).ToArray();
        var cols = Enumerable.Range(0, 100).Select(i => (float)i / 100).ToArray();
        var scores = new Dictionary<string, ImportanceScores> { ["w"] = new(rows, cols) };
        var cold = new SampledMasks(plan, scores, 0.1, 3).Create("w", 200, 100);
        Assert.Equal(20, cold.KeptRows);
        Assert.Equal(10, cold.KeptCols);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), cold.RowIndices); // at T = 0.1 the top-scored rows win
        var again = new SampledMasks(plan, scores, 0.1, 3).Create("w", 200, 100);
        Assert.Equal(cold.RowKeep, again.RowKeep);
        Assert.Equal(cold.ColKeep, again.ColKeep);
        var hot = new SampledMasks(plan, scores, 1000, 3).Create("w", 200, 100);
        Assert.Equal(20, hot.KeptRows);
        Assert.True(hot.RowIndices.Count(i => i >= 20) > 10); // at high temperature nearly uniform
    }

    [Fact]
    public void Balanced_and_Pyramidal_element_masks_follow_their_densities()
    {
        var balanced = ElementMasks.Balanced(0.3, 1).Create("layers.0.fc", 300, 200, 16);
        Assert.InRange((balanced.KeptA + balanced.KeptB) / (16.0 * 500), 0.27, 0.33);
        Assert.Equal(4, ElementMasks.DepthFromPath("encoder.layers.3.mlp.fc1"));
        Assert.Equal(0.8 * 0.8 * 0.8, ElementMasks.Pyramidal(0.8, 1).Density("model.layers.2.q_proj"), 12);
        var deep = ElementMasks.Pyramidal(0.5, 1).Create("layers.3.fc", 300, 200, 16);
        Assert.InRange((deep.KeptA + deep.KeptB) / (16.0 * 500), 0.0625 - 0.015, 0.0625 + 0.015);
        Assert.Contains("no block index", Assert.Throws<ArgumentException>(() => ElementMasks.DepthFromPath("classifier")).Message);
    }

    [Fact]
    public void Plan_errors_name_the_module_and_the_problem()
    {
        using var net = new TinyTransformer(1);
        var plan = Methods.Plan(net, 0.5, 0.5);
        var tooMany = new Dictionary<string, LayerSparsity>(plan) { ["layers.0.mlp.fc1"] = new("layers.0.mlp.fc1", 24, 16, 25, 3) };
        Assert.Contains("keeps 25 of 24 rows", Inject(net, new PartialMasks(tooMany, 1)).Message);
        var negative = new Dictionary<string, LayerSparsity>(plan) { ["layers.0.mlp.fc1"] = new("layers.0.mlp.fc1", 24, 16, -1, 3) };
        Assert.Contains("[0, size]", Inject(net, new PartialMasks(negative, 1)).Message);
        var missing = new Dictionary<string, LayerSparsity>(plan);
        missing.Remove("layers.1.self_attn.k_proj");
        Assert.Contains("no entry for targeted module 'layers.1.self_attn.k_proj'", Inject(net, new PartialMasks(missing, 1)).Message);
        var shape = new Dictionary<string, LayerSparsity>(plan) { ["layers.0.mlp.fc2"] = new("layers.0.mlp.fc2", 24, 16, 2, 3) };
        Assert.Contains("plan for 'layers.0.mlp.fc2' is 24×16 but the module's weight is 16×24", Inject(net, new PartialMasks(shape, 1)).Message);
        var extra = new Dictionary<string, LayerSparsity>(plan) { ["classifier"] = new("classifier", 5, 16, 2, 3) };
        Assert.Contains("does not target: classifier", Inject(net, new PartialMasks(extra, 1)).Message);
        var noIndices = plan.ToDictionary(p => p.Key, p => p.Value with { RowIndices = null });
        Assert.Contains("no kept index sets", Inject(net, new TargetedMasks(noIndices)).Message);
        Assert.Contains("outside [0, 1]", Inject(net, ElementMasks.Balanced(1.2, 1), MaskStorage.Dense).Message);
        Assert.Contains("no compact form", Inject(net, ElementMasks.Balanced(0.2, 1), MaskStorage.Compact).Message);
        Assert.Contains("temperature", Inject(net, new SampledMasks(plan, Methods.Scores(net), 0, 1)).Message);
        Assert.Contains("DoRA with masks", Assert.Throws<ArgumentException>(() =>
            AdapterModel.Inject(net, Kit.Lora() with { UseDora = true, Masks = new PartialMasks(plan, 1) })).Message);
        Assert.DoesNotContain(net.named_modules(), m => m.module is AdapterLayer);
    }

    private static ArgumentException Inject(TinyTransformer net, MaskSpec spec, MaskStorage storage = MaskStorage.Compact) =>
        Assert.Throws<ArgumentException>(() => AdapterModel.Inject(net, Kit.Lora() with { Masks = spec, Storage = storage }));

    [Fact]
    public void Masks_follow_Eq6_rows_of_W_mask_rows_of_B_columns_of_W_mask_columns_of_A()
    {
        using var net = new TinyTransformer(1);
        var am = AdapterModel.Inject(net, Kit.Lora(targets: ["fc1"]) with { Masks = new PartialMasks(Methods.Plan(net, 0.5, 0.5, targets: ["fc1"]), 2), Storage = MaskStorage.Dense });
        foreach (var l in am.Layers.Cast<LoraLinear>())
        {
            using var dw = l.DeltaWeight();
            var m = l.RowColMask!;
            using var rowsZero = dw.index_select(0, torch.tensor(Enumerable.Range(0, m.Rows).Where(i => !m.RowKeep[i]).Select(i => (long)i).ToArray())).abs().sum();
            using var colsZero = dw.index_select(1, torch.tensor(Enumerable.Range(0, m.Cols).Where(i => !m.ColKeep[i]).Select(i => (long)i).ToArray())).abs().sum();
            Assert.Equal(0f, rowsZero.item<float>());
            Assert.Equal(0f, colsZero.item<float>());
            Assert.True(dw.abs().sum().item<float>() > 0);
        }
    }
}
