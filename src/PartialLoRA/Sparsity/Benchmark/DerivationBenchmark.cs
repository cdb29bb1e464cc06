using System.Diagnostics;
using PartialLoRA.Importance;
using PartialLoRA.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Sparsity.Benchmark;

/// <summary>What <see cref="DerivationBenchmark.Run"/> measured.</summary>
/// <param name="WarmupSeconds">One untimed-for-the-total forward pass before the run (lazy allocations, CUDA kernel loading).</param>
/// <param name="ImportanceSeconds">Importance scores of every target (§4.2.2).</param>
/// <param name="DerivationSeconds">Algorithm 1 over every target, baseline included.</param>
public sealed record DerivationBenchmarkReport(
    string Device,
    int Targets,
    int Samples,
    int BatchSize,
    PlannerOptions Options,
    double WarmupSeconds,
    double ImportanceSeconds,
    double DerivationSeconds,
    DerivationResult Derivation,
    SparsityPlan Plan)
{
    /// <summary>Importance plus Algorithm 1: the time to derive a plan for all targets.</summary>
    public double TotalSeconds => ImportanceSeconds + DerivationSeconds;

    public double MillisecondsPerEvaluation => 1000 * DerivationSeconds / Derivation.Evaluations;
}

/// <summary>
/// Times the derivation of a sparsity plan (importance + Algorithm 1) for all target matrices of any classifier
/// on its few-shot tensors; the <c>partial-lora bench derive</c> command runs it.
/// </summary>
public static class DerivationBenchmark
{
    public static DerivationBenchmarkReport Run(IClassifier model, FewShotSet data, IReadOnlyList<string> targets, PlanSource source,
        PlannerOptions options)
    {
        var device = TargetLayer.Resolve(model, targets)[0].Weight.device;
        var clock = Stopwatch.StartNew();
        using (var mode = new EvalModeScope(model.Module))
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            var n = options.Derivation.BatchSize == 0 ? data.Count : Math.Min(options.Derivation.BatchSize, data.Count);
            var warm = model.Logits(data.Inputs.narrow(0, 0, n).to(device), data.AttentionMask?.narrow(0, 0, n).to(device));
            _ = warm.sum().item<float>();
        }
        var warmup = clock.Elapsed.TotalSeconds;

        var result = SparsityPlanner.Plan(model, data, targets, source, options);
        return new DerivationBenchmarkReport(device.ToString(), targets.Count, data.Count, options.Derivation.BatchSize, options, warmup,
            result.ImportanceTime.TotalSeconds, result.Derivation.Elapsed.TotalSeconds, result.Derivation, result.Plan);
    }

    /// <summary>
    /// The stand-in of <paramref name="config"/> on <paramref name="device"/> with a task it solves the way a
    /// pretrained backbone with a fitted head does: one random prototype image per class, N = shots × classes
    /// samples = prototype + Gaussian noise (σ = 3), and a nearest-class-mean head on the stand-in's pooled
    /// features (w_c = mean feature of class c, b_c = −½‖w_c‖²). On lab-tiny this gives μ ≈ 0.7 with layers that
    /// differ in how much they can lose (measured: zeroing half the rows of block 0's fc1 drops accuracy to 0.58,
    /// of its q_proj to 0.65), the regime in which Algorithm 1 has something to find. The tensors belong to the
    /// caller's dispose scope.
    /// </summary>
    public static (SyntheticVit Model, FewShotSet Data) StandIn(SyntheticVitConfig config, int shots, long seed, Device device)
    {
        if (shots <= 0) throw new ArgumentOutOfRangeException(nameof(shots), shots, "shots per class must be at least 1");
        var model = new SyntheticVit(config, seed, device);
        model.eval();
        using var gen = new torch.Generator(unchecked((ulong)seed) + 1);
        long[] image = [3, config.ImageSize, config.ImageSize];
        var prototypes = torch.randn([config.Classes, .. image], generator: gen);
        var labels = torch.arange(config.Classes, dtype: ScalarType.Int64).repeat_interleave(shots);
        var images = (prototypes.index_select(0, labels) + 3.0 * torch.randn([labels.shape[0], .. image], generator: gen)).to(device);
        labels = labels.to(device);
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            var features = model.Features(images);
            var means = torch.zeros(config.Classes, config.Width, device: device).index_add_(0, labels, features, 1.0) / shots;
            var head = (TorchSharp.Modules.Linear)model.named_modules().Single(m => m.name == "classifier").module;
            head.weight!.copy_(means);
            head.bias!.copy_(-0.5 * means.pow(2).sum(1));
        }
        return (model, new FewShotSet(images, labels));
    }
}
