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
    /// A few-shot task that an image classifier with random weights solves the way a pretrained backbone with a
    /// fitted head does: one random prototype image per class, N = shots × classes samples = prototype + Gaussian
    /// noise (σ = 3), and the model's final Linear <paramref name="head"/> set to a nearest-class-mean classifier on
    /// the features it reads (w_c = mean feature of class c, b_c = −½‖w_c‖², captured with a forward pre-hook, so
    /// the model must call the head through <c>call</c>). On the lab-tiny shapes this gives μ ≈ 0.7 with layers
    /// that differ in how much they can lose (measured: zeroing half the rows of block 0's fc1 drops accuracy to
    /// 0.58, of its q_proj to 0.65) — the regime in which Algorithm 1 has something to find. The tensors belong to
    /// the caller's dispose scope.
    /// </summary>
    public static FewShotSet PrototypeTask(IClassifier model, TorchSharp.Modules.Linear head, int imageSize, int shots, long seed, Device device)
    {
        if (shots <= 0) throw new ArgumentOutOfRangeException(nameof(shots), shots, "shots per class must be at least 1");
        var classes = (int)head.out_features;
        if (classes != model.NumClasses) throw new ArgumentException($"the head has {classes} outputs but the model {model.NumClasses} classes");
        using var gen = new torch.Generator(unchecked((ulong)seed) + 1);
        long[] image = [3, imageSize, imageSize];
        var prototypes = torch.randn([classes, .. image], generator: gen);
        var labels = torch.arange(classes, dtype: ScalarType.Int64).repeat_interleave(shots);
        var images = (prototypes.index_select(0, labels) + 3.0 * torch.randn([labels.shape[0], .. image], generator: gen)).to(device);
        labels = labels.to(device);
        using (var mode = new EvalModeScope(model.Module))
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            Tensor? features = null;
            var hook = head.register_forward_pre_hook((_, x) =>
            {
                features = x.detach().clone().DetachFromDisposeScope();
                return x;
            });
            try
            {
                model.Logits(images);
            }
            finally
            {
                hook.remove();
            }
            using var f = features ?? throw new InvalidOperationException("the head was not called through call(): cannot read its input features");
            var means = torch.zeros(classes, f.shape[1], device: device).index_add_(0, labels, f, 1.0) / shots;
            head.weight!.copy_(means);
            head.bias!.copy_(-0.5 * means.pow(2).sum(1));
        }
        return new FewShotSet(images, labels);
    }

    /// <summary>The stand-in of <paramref name="config"/> on <paramref name="device"/> with its <see cref="PrototypeTask"/>.</summary>
    public static (SyntheticVit Model, FewShotSet Data) StandIn(SyntheticVitConfig config, int shots, long seed, Device device)
    {
        var model = new SyntheticVit(config, seed, device);
        return (model, PrototypeTask(model, model.TaskHead, config.ImageSize, shots, seed, device));
    }
}
