using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

public class AdaLoraTests
{
    public AdaLoraTests() => _ = TestSupport.Torch;

    private static readonly string[] MlpTargets = ["layers.0", "layers.1", "head"];

    private static AdaLoraConfig Config(int total = 24) => new()
    {
        TargetModules = TargetModules.Of(MlpTargets),
        InitR = 6,
        TargetR = 2,
        TotalStep = total,
        TInit = 3,
        TFinal = 5,
        DeltaT = 2,
        Seed = 1,
    };

    /// <summary>AdamW with the orthogonality term and the allocator called each step, as a trainer would.</summary>
    private static List<(int Budget, IReadOnlyDictionary<string, bool[]>? Pattern)> Train(TinyMlp net, AdapterModel am, int steps)
    {
        var opt = torch.optim.AdamW(am.TrainableParameters(), lr: 0.02);
        using var x = TestSupport.Randn(4, 16, 12);
        using var target = TestSupport.Randn(5, 16, 3);
        var log = new List<(int, IReadOnlyDictionary<string, bool[]>?)>();
        for (var step = 1; step <= steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = (net.call(x) - target).pow(2).mean() + am.RegularizationLoss()!;
            loss.backward();
            opt.step();
            log.Add(am.RankAllocator!.UpdateAndAllocate(step));
        }
        return log;
    }

    [Fact]
    public void Budget_follows_the_cubic_schedule_between_warm_up_and_final_phase()
    {
        using var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var ra = AdapterModel.Inject(net, Config(total: 30)).RankAllocator!;
        Assert.Equal(18, ra.InitialBudget);
        Assert.Equal(6, ra.TargetBudget);
        Assert.Equal((18, false), ra.BudgetSchedule(0));
        Assert.Equal((18, false), ra.BudgetSchedule(3));
        for (var t = 4; t <= 25; t++)
        {
            var mul = 1 - (t - 3) / 22.0;
            Assert.Equal(((int)(12 * mul * mul * mul + 6), t % 2 == 0), ra.BudgetSchedule(t));
        }
        Assert.Equal(6, ra.BudgetSchedule(25).Budget);
        Assert.Equal((6, true), ra.BudgetSchedule(26));
        var budgets = Enumerable.Range(0, 31).Select(t => ra.BudgetSchedule(t).Budget).ToList();
        Assert.True(budgets.Zip(budgets.Skip(1)).All(p => p.Second <= p.First));
    }

    [Fact]
    public void Training_with_the_allocator_reaches_the_target_rank_and_keeps_it()
    {
        using var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var am = AdapterModel.Inject(net, Config());
        var log = Train(net, am, 24);
        var ra = am.RankAllocator!;
        Assert.Null(log[0].Pattern); // warm-up
        Assert.NotNull(log[3].Pattern); // step 4: first allocation (ΔT = 2)
        Assert.Equal(ra.BudgetSchedule(4).Budget, log[3].Pattern!.Values.Sum(p => p.Count(k => k)));
        var final = log[18]; // step 19 = T − t_final
        Assert.Equal(ra.TargetBudget, final.Budget);
        Assert.Equal(ra.TargetBudget, final.Pattern!.Values.Sum(p => p.Count(k => k)));
        foreach (var l in am.Layers.Cast<AdaLoraLinear>())
        {
            var keep = ra.RankPattern![l.ModulePath];
            var e = l.E.detach().flatten().data<float>().ToArray();
            for (var i = 0; i < keep.Length; i++)
                if (!keep[i]) Assert.Equal(0f, e[i]);
            Assert.Equal(keep, l.RankPattern);
        }
        Assert.True(ra.RankPattern!.Values.Sum(p => p.Count(k => k)) == ra.TargetBudget);
        Assert.True(am.Layers.Cast<AdaLoraLinear>().Sum(l => l.E.ne(0).sum().item<long>()) <= ra.TargetBudget);
    }

    [Fact]
    public void Orthogonality_loss_is_the_weighted_mean_Frobenius_distance_of_PtP_and_QQt_to_I()
    {
        using var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var am = AdapterModel.Inject(net, Config() with { OrthRegWeight = 0.3 });
        double sum = 0;
        foreach (var l in am.Layers.Cast<AdaLoraLinear>())
        {
            using var qq = l.A.matmul(l.A.t()) - torch.eye(6);
            using var pp = l.B.t().matmul(l.B) - torch.eye(6);
            sum += qq.pow(2).sum().sqrt().item<float>() + pp.pow(2).sum().sqrt().item<float>();
        }
        using var loss = am.RegularizationLoss()!;
        Assert.Equal(0.3 * sum / 6, loss.item<float>(), 4);
        loss.backward();
        Assert.All(am.Layers.Cast<AdaLoraLinear>(), l => Assert.True(l.A.grad!.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void Dense_and_compact_Partial_AdaLoRA_allocate_the_same_ranks()
    {
        var patterns = new List<IReadOnlyDictionary<string, bool[]>>();
        foreach (var storage in new[] { MaskStorage.Dense, MaskStorage.Compact })
        {
            using var net = new TinyMlp(1, inDim: 12, hidden: 16);
            var masks = new PartialMasks(Methods.Plan(net, 0.6, 0.6, targets: MlpTargets), 3);
            var am = AdapterModel.Inject(net, Config() with { Masks = masks, Storage = storage });
            Train(net, am, 19);
            patterns.Add(am.RankAllocator!.RankPattern!);
        }
        Assert.Equal(patterns[0].Keys, patterns[1].Keys);
        foreach (var k in patterns[0].Keys) Assert.Equal(patterns[0][k], patterns[1][k]);
    }

    [Fact]
    public void Allocating_without_gradients_is_a_clear_error()
    {
        using var net = new TinyMlp(1, inDim: 12, hidden: 16);
        var am = AdapterModel.Inject(net, Config());
        var e = Assert.Throws<InvalidOperationException>(() => am.RankAllocator!.UpdateAndAllocate(1));
        Assert.Contains("after backward()", e.Message);
        Assert.Contains("AdaLoraConfig: TInit (10) must be < TotalStep − TFinal", Assert.Throws<ArgumentException>(() =>
            AdapterModel.Inject(new TinyMlp(1), Config(total: 12) with { TInit = 10, TFinal = 2 })).Message);
    }
}
