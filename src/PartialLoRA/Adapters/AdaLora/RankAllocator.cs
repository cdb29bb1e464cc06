using PartialLoRA.Adapters.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.AdaLora;

/// <summary>
/// AdaLoRA's budget allocation (Zhang et al. 2023; PEFT's <c>RankAllocator</c> and
/// <c>AdaLoraModel.update_and_allocate</c>):
/// <list type="bullet">
/// <item>sensitivity I = |w · ∂L/∂w| per entry of P, Λ, Q, smoothed Ī ← β1·Ī + (1−β1)·I, uncertainty
/// Ū ← β2·Ū + (1−β2)·|I − Ī|, entry score Ī·Ū;</item>
/// <item>triplet score S_i = s(Λ_i) + mean_j s(Q_ij) + mean_k s(P_ki);</item>
/// <item>cubic budget b(t) = b_T + (b_0 − b_T)(1 − (t − t_init)/(T − t_final − t_init))³ between the warm-up and the
/// final phase, re-allocated every ΔT steps by zeroing Λ_i of the lowest-scoring triplets;</item>
/// <item>orthogonality regulariser R = mean over P, Q of ‖PᵀP − I‖_F, ‖QQᵀ − I‖_F.</item>
/// </list>
/// Masked entries (Partial-AdaLoRA) contribute zero scores; means run over the full m, n so dense and compact
/// storage allocate identically.
/// </summary>
public sealed class RankAllocator
{
    private readonly AdapterModel model;
    private readonly AdaLoraConfig config;
    private readonly Dictionary<string, Tensor> expAvgIpt = new();
    private readonly Dictionary<string, Tensor> expAvgUnc = new();

    internal RankAllocator(AdapterModel model, AdaLoraConfig config)
    {
        this.model = model;
        this.config = config;
        InitialBudget = Layers.Sum(l => l.Rank);
        TargetBudget = config.TargetR * Layers.Count;
    }

    private List<AdaLoraLinear> Layers => model.Layers.Cast<AdaLoraLinear>().ToList();

    /// <summary>b_0: the sum of the initial ranks.</summary>
    public int InitialBudget { get; }

    /// <summary>b_T = TargetR × number of adapted modules.</summary>
    public int TargetBudget { get; }

    /// <summary>The last allocation (module path → kept triplets), or null before the first.</summary>
    public IReadOnlyDictionary<string, bool[]>? RankPattern { get; private set; }

    /// <summary>The budget at <paramref name="step"/> and whether to re-allocate at it.</summary>
    public (int Budget, bool Allocate) BudgetSchedule(int step)
    {
        var (tInit, tFinal, total) = (config.TInit, config.TFinal, config.TotalStep);
        if (step <= tInit) return (InitialBudget, false);
        if (step > total - tFinal) return (TargetBudget, true);
        var mul = 1 - (double)(step - tInit) / (total - tFinal - tInit);
        var budget = (int)((InitialBudget - TargetBudget) * (mul * mul * mul) + TargetBudget);
        return (budget, step % config.DeltaT == 0);
    }

    /// <summary>
    /// One step of the schedule (PEFT's <c>AdaLoraModel.update_and_allocate</c>); call with the gradients of the
    /// step still present. Before T − t_final: update the scores and allocate when due; at T − t_final: the final
    /// allocation to b_T (scores reset); after: keep the final pattern applied.
    /// </summary>
    public (int Budget, IReadOnlyDictionary<string, bool[]>? Pattern) UpdateAndAllocate(int globalStep)
    {
        var final = config.TotalStep - config.TFinal;
        if (globalStep < final)
        {
            UpdateImportance();
            var (budget, allocate) = BudgetSchedule(globalStep);
            return allocate ? (budget, MaskToBudget(budget)) : (budget, null);
        }
        if (globalStep == final)
        {
            var (budget, _) = BudgetSchedule(globalStep);
            var pattern = MaskToBudget(budget);
            ResetImportance();
            return (budget, pattern);
        }
        if (RankPattern != null) ApplyPattern(RankPattern);
        return (TargetBudget, RankPattern);
    }

    /// <summary>Updates the smoothed sensitivity and uncertainty of every entry of P, Λ, Q from the current gradients.</summary>
    public void UpdateImportance()
    {
        using var _ = torch.no_grad();
        foreach (var layer in Layers)
        {
            foreach (var (name, p) in layer.AdapterParameters())
            {
                var key = layer.ModulePath + "." + name;
                if (p.grad is not { } grad)
                    throw new InvalidOperationException($"AdaLoRA: '{key}' has no gradient; call UpdateAndAllocate after backward() and before zero_grad()");
                using var scope = torch.NewDisposeScope();
                var ipt = (p * grad).abs();
                var oldIpt = expAvgIpt.GetValueOrDefault(key);
                var oldUnc = expAvgUnc.GetValueOrDefault(key);
                var avg = oldIpt is null ? ipt * (1 - config.Beta1) : oldIpt * config.Beta1 + ipt * (1 - config.Beta1);
                var unc = (ipt - avg).abs() * (1 - config.Beta2);
                if (oldUnc is not null) unc = oldUnc * config.Beta2 + unc;
                expAvgIpt[key] = avg.MoveToOuterDisposeScope().DetachFromDisposeScope();
                expAvgUnc[key] = unc.MoveToOuterDisposeScope().DetachFromDisposeScope();
                oldIpt?.Dispose();
                oldUnc?.Dispose();
            }
        }
    }

    public void ResetImportance()
    {
        foreach (var t in expAvgIpt.Values.Concat(expAvgUnc.Values)) t.Dispose();
        expAvgIpt.Clear();
        expAvgUnc.Clear();
    }

    /// <summary>Keeps the <paramref name="budget"/> highest-scoring triplets overall and zeroes Λ of the rest.</summary>
    public IReadOnlyDictionary<string, bool[]> MaskToBudget(int budget)
    {
        using var scope = torch.NewDisposeScope();
        var scores = new List<(AdaLoraLinear Layer, Tensor Score)>();
        foreach (var layer in Layers)
        {
            var path = layer.ModulePath;
            var sA = ElementScore(path + ".lora_A");
            var sB = ElementScore(path + ".lora_B");
            var sE = ElementScore(path + ".lora_E");
            var meanA = sA.sum(1) / layer.InFeatures;
            var meanB = sB.sum(0) / layer.OutFeatures;
            scores.Add((layer, sE.view(-1) + meanA + meanB));
        }
        var k = InitialBudget - budget;
        var pattern = new Dictionary<string, bool[]>();
        if (k <= 0)
        {
            // Nothing to prune (PEFT's kthvalue would fail on k = 0).
            foreach (var (layer, s) in scores) pattern[layer.ModulePath] = Enumerable.Repeat(true, (int)s.shape[0]).ToArray();
        }
        else
        {
            var threshold = torch.kthvalue(torch.cat(scores.Select(s => s.Score).ToList(), 0), k, 0).values.item<float>();
            foreach (var (layer, s) in scores) pattern[layer.ModulePath] = s.gt(threshold).data<bool>().ToArray();
        }
        ApplyPattern(pattern);
        RankPattern = pattern;
        return pattern;
    }

    private Tensor ElementScore(string key)
    {
        if (!expAvgIpt.TryGetValue(key, out var ipt) || !expAvgUnc.TryGetValue(key, out var unc))
            throw new InvalidOperationException($"AdaLoRA: no importance scores for '{key}' yet; allocation needs at least one UpdateImportance after backward()");
        return ipt * unc;
    }

    private void ApplyPattern(IReadOnlyDictionary<string, bool[]> pattern)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        foreach (var layer in Layers)
        {
            var keep = pattern[layer.ModulePath];
            var drop = torch.tensor(keep.Select(k => !k).ToArray(), device: layer.E.device).view(-1, 1);
            layer.E.masked_fill_(drop, 0);
            layer.RankPattern = keep;
        }
    }

    /// <summary>R = mean over every P and Q of ‖PᵀP − I‖_F and ‖QQᵀ − I‖_F (PEFT's forward), unweighted.</summary>
    public Tensor OrthogonalRegularization()
    {
        using var scope = torch.NewDisposeScope();
        Tensor? sum = null;
        var count = 0;
        foreach (var layer in Layers)
        {
            foreach (var p in new[] { layer.A, layer.B })
            {
                if (p.numel() == 0) continue;
                var cov = ReferenceEquals(p, layer.A) ? p.matmul(p.t()) : p.t().matmul(p);
                var eye = torch.eye(cov.shape[0], cov.shape[1], cov.dtype, cov.device);
                var norm = (cov - eye).pow(2).sum().sqrt();
                sum = sum is null ? norm : sum + norm;
                count++;
            }
        }
        var result = sum is null ? torch.zeros(1).squeeze() : sum / count;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="AdaLoraConfig.OrthRegWeight"/> × <see cref="OrthogonalRegularization"/>: add it to the loss.</summary>
    public Tensor OrthogonalityLoss()
    {
        using var scope = torch.NewDisposeScope();
        return (OrthogonalRegularization() * config.OrthRegWeight).MoveToOuterDisposeScope();
    }
}
