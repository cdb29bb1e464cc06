using System.Diagnostics;
using PartialLoRA.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>Progress of a run, reported after each optimizer step and each evaluation.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, int Epoch, double? LastValidationScore);

/// <summary>
/// The training loop of §5 over any <see cref="IClassifier"/>: AdamW with the method's parameter groups and
/// decoupled weight decay, cosine annealing per step (optional warm-up), cross-entropy, gradient clipping,
/// bf16 autocast on CUDA (f32 on CPU), validation after each epoch (or every N steps) with early stopping that
/// keeps the best state, then the test split evaluated on that state. Seeded: each epoch's shuffle by a seed derived
/// from (run seed, epoch); dropout by libtorch's global generator, seeded at the start — so runs are bit-identical
/// on CPU as long as no other thread of the process draws from that generator meanwhile.
/// </summary>
public static class Trainer
{
    public static TrainingResult Train(
        IClassifier model,
        TrainableSetup setup,
        ILabelledBatches train,
        ILabelledBatches validation,
        ILabelledBatches? test,
        TrainerOptions options,
        Device device,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancel = default)
    {
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("the training split is empty", nameof(train));
        if (validation.Count == 0) throw new ArgumentException("the validation split is empty (early stopping needs one)", nameof(validation));
        if (setup.Groups.Count == 0 || !setup.Parameters.Any())
            throw new ArgumentException("the method left no trainable parameters", nameof(setup));
        foreach (var p in setup.Parameters)
            if (!p.requires_grad) throw new ArgumentException("a parameter handed to the optimizer does not require grad", nameof(setup));

        var precision = options.ResolvePrecision(device);
        var clock = Stopwatch.StartNew();
        var memory = PeakMemory.Start(device);

        torch.manual_seed(options.Seed);
        if (device.type == DeviceType.CUDA) torch.cuda.manual_seed_all(options.Seed);

        int stepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        int totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = CosineAnnealingSchedule.WithWarmupRatio(totalSteps, options.WarmupRatio, options.MinLearningRateFactor);

        var groups = setup.Groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr: options.LearningRate * g.LearningRateScale,
            beta1: options.Beta1, beta2: options.Beta2, eps: options.Epsilon, weight_decay: g.WeightDecay ?? options.WeightDecay)).ToList();
        using var optimizer = torch.optim.AdamW(groups, lr: options.LearningRate);
        var controllers = optimizer.ParamGroups.ToList();
        var baseRates = setup.Groups.Select(g => options.LearningRate * g.LearningRateScale).ToArray();
        var parameters = setup.Parameters.ToList();

        var stopper = new EarlyStopping(options.Patience);
        var history = new List<Evaluation>();
        Dictionary<string, Tensor>? best = null;
        int bestEpoch = 0, bestStep = 0, step = 0, epoch = 0;
        double lossSum = 0;
        int lossCount = 0;
        bool stopped = false;

        var evalClock = new Stopwatch();
        void EvaluateAndMaybeKeep()
        {
            evalClock.Start();
            var scores = Evaluate(model, validation, options, precision, device);
            evalClock.Stop();
            history.Add(new Evaluation(epoch, step, lossCount == 0 ? double.NaN : lossSum / lossCount,
                controllers[0].LearningRate, scores));
            lossSum = 0;
            lossCount = 0;
            if (stopper.Report(scores[options.SelectionMetric]))
            {
                DisposeAll(best);
                best = Snapshot(model.Module, parameters);
                bestEpoch = epoch;
                bestStep = step;
            }
            stopped = stopper.ShouldStop;
            progress?.Report(new TrainingProgress(step, totalSteps, epoch, stopper.BestScore));
        }

        try
        {
            for (epoch = 1; epoch <= options.Epochs && !stopped; epoch++)
            {
                model.Module.train();
                Tensor? epochLoss = null;
                int epochBatches = 0;
                using (torch.NewDisposeScope())
                {
                    foreach (var batch in train.Batches(options.BatchSize, EpochSeed(options.Seed, epoch), device))
                    {
                        cancel.ThrowIfCancellationRequested();
                        using (var stepScope = torch.NewDisposeScope())
                        {
                            var factor = schedule.Factor(step);
                            for (int g = 0; g < controllers.Count; g++) controllers[g].LearningRate = baseRates[g] * factor;
                            optimizer.zero_grad();
                            var loss = Loss(model, batch, precision, device);
                            if (setup.RegularizationLoss is { } reg) loss = loss + reg();
                            loss.backward();
                            GradientClipping.ClipByGlobalNorm(parameters, options.MaxGradNorm);
                            optimizer.step();
                            setup.AfterOptimizerStep?.Invoke(step);
                            var detached = loss.detach();
                            epochLoss = epochLoss is null ? detached.MoveToOuterDisposeScope() : epochLoss.add_(detached);
                        }
                        Release(batch);
                        epochBatches++;
                        step++;
                        memory.Sample();
                        if (options.EvalEverySteps is { } every && step % every == 0)
                        {
                            AccumulateLoss(ref epochLoss, ref epochBatches, ref lossSum, ref lossCount);
                            EvaluateAndMaybeKeep();
                            model.Module.train();
                            if (stopped) break;
                        }
                        else progress?.Report(new TrainingProgress(step, totalSteps, epoch, stopper.BestEvaluation < 0 ? null : stopper.BestScore));
                    }
                    AccumulateLoss(ref epochLoss, ref epochBatches, ref lossSum, ref lossCount);
                }
                if (!stopped && options.EvalEverySteps is null) EvaluateAndMaybeKeep();
            }
            int epochsRun = Math.Min(epoch - 1, options.Epochs);
            epoch = epochsRun;
            if (history.Count == 0 || history[^1].Step != step) EvaluateAndMaybeKeep();

            Restore(model.Module, parameters, best!);
            var validationScores = history.First(h => h.Step == bestStep && h.Epoch == bestEpoch).Validation;
            evalClock.Start();
            var testScores = test is null ? null : Evaluate(model, test, options, precision, device);
            evalClock.Stop();
            var report = memory.Stop();
            clock.Stop();
            return new TrainingResult(validationScores, testScores, options.SelectionMetric, bestEpoch, bestStep, epochsRun, step,
                stopped, setup.TrainableParameters, model.Module.parameters().Sum(p => p.numel()), clock.Elapsed.TotalSeconds,
                evalClock.Elapsed.TotalSeconds, report,
                device.ToString(), precision, history, Runtime.Denormals.Current());
        }
        finally
        {
            DisposeAll(best);
        }
    }

    /// <summary>The shuffle seed of an epoch: SplitMix64's finaliser over (run seed, epoch), so epochs and runs differ.</summary>
    public static ulong EpochSeed(long seed, int epoch)
    {
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>The metrics of <paramref name="model"/> on a split (eval mode, no gradients).</summary>
    public static Dictionary<string, double> Evaluate(IClassifier model, ILabelledBatches split, TrainerOptions options, Precision precision, Device device)
    {
        if (split.Count == 0) throw new ArgumentException("cannot evaluate on an empty split", nameof(split));
        int k = model.NumClasses;
        model.Module.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var counts = torch.zeros(k * k, dtype: ScalarType.Int64, device: device);
        foreach (var batch in split.Batches(options.EvalBatchSize, null, device))
        {
            using var stepScope = torch.NewDisposeScope();
            Tensor logits;
            using (precision == Precision.Bf16 ? new Autocast(device) : null)
                logits = model.Logits(batch.Inputs, batch.AttentionMask);
            CheckLogits(logits, batch.Labels, k);
            var pred = logits.argmax(1);
            counts.add_(torch.bincount(batch.Labels * k + pred, minlength: k * k));
            Release(batch);
        }
        var flat = counts.cpu().data<long>().ToArray();
        var confusion = new long[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) confusion[i, j] = flat[i * k + j];
        return ClassificationMetrics.Compute(options.Metrics, confusion);
    }

    private static Tensor Loss(IClassifier model, LabelledBatch batch, Precision precision, Device device)
    {
        Tensor logits;
        using (precision == Precision.Bf16 ? new Autocast(device) : null)
            logits = model.Logits(batch.Inputs, batch.AttentionMask);
        CheckLogits(logits, batch.Labels, model.NumClasses);
        // The loss in f32 whatever the forward's precision, as under torch.autocast.
        return nn.functional.cross_entropy(logits.to(ScalarType.Float32), batch.Labels);
    }

    private static void CheckLogits(Tensor logits, Tensor labels, int numClasses)
    {
        if (logits.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != numClasses)
            throw new InvalidOperationException(
                $"the model returned logits of shape [{string.Join(",", logits.shape)}]; expected [{labels.shape[0]},{numClasses}]");
    }

    // Batches are created by the enumerator, outside the step's scope: free them as soon as the step is done.
    private static void Release(LabelledBatch batch)
    {
        batch.Inputs.Dispose();
        batch.AttentionMask?.Dispose();
        batch.Labels.Dispose();
    }

    private static void AccumulateLoss(ref Tensor? epochLoss, ref int batches, ref double sum, ref int count)
    {
        if (epochLoss is null) return;
        sum += epochLoss.item<float>();
        count += batches;
        epochLoss.Dispose();
        epochLoss = null;
        batches = 0;
    }

    // The state early stopping keeps: the trainable parameters and every buffer (e.g. adapter masks, AdaLoRA's ranks).
    private static Dictionary<string, Tensor> Snapshot(nn.Module module, List<Parameter> parameters)
    {
        var copy = new Dictionary<string, Tensor>();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < parameters.Count; i++) copy[$"param:{i}"] = parameters[i].detach().clone().DetachFromDisposeScope();
        foreach (var (name, buffer) in module.named_buffers()) copy[$"buffer:{name}"] = buffer.detach().clone().DetachFromDisposeScope();
        return copy;
    }

    private static void Restore(nn.Module module, List<Parameter> parameters, Dictionary<string, Tensor> copy)
    {
        using var noGrad = torch.no_grad();
        for (int i = 0; i < parameters.Count; i++) parameters[i].copy_(copy[$"param:{i}"]);
        foreach (var (name, buffer) in module.named_buffers())
            if (copy.TryGetValue($"buffer:{name}", out var saved) && saved.shape.SequenceEqual(buffer.shape)) buffer.copy_(saved);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }
}
