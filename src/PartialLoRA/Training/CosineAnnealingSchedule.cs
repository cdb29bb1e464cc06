namespace PartialLoRA.Training;

/// <summary>
/// The learning-rate schedule of §5 ("AdamW optimizer and a cosine annealing learning rate scheduler"), per
/// optimizer step, with an optional linear warm-up — the same curve as HF transformers'
/// <c>get_cosine_schedule_with_warmup</c> plus a floor:
/// factor(t) = t / W for t &lt; W, then min + (1 − min) · ½(1 + cos(π (t − W) / (T − W))).
/// The rate used by step t (0-based) is base × factor(t); it reaches base × min at t = T.
/// </summary>
public sealed record CosineAnnealingSchedule
{
    public int TotalSteps { get; }
    public int WarmupSteps { get; }

    /// <summary>The final rate as a fraction of the base rate (PyTorch's eta_min / base).</summary>
    public double MinFactor { get; }

    public CosineAnnealingSchedule(int totalSteps, int warmupSteps = 0, double minFactor = 0)
    {
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "the schedule needs at least one step");
        if (warmupSteps < 0 || warmupSteps > totalSteps)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"warm-up steps must be in 0..{totalSteps}");
        if (!(minFactor >= 0 && minFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(minFactor), minFactor, "the floor must be a fraction of the base rate in [0, 1]");
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        MinFactor = minFactor;
    }

    /// <summary>Warm-up as a fraction of all steps (HF's warmup_ratio), rounded up.</summary>
    public static CosineAnnealingSchedule WithWarmupRatio(int totalSteps, double warmupRatio, double minFactor = 0)
    {
        if (!(warmupRatio >= 0 && warmupRatio < 1))
            throw new ArgumentOutOfRangeException(nameof(warmupRatio), warmupRatio, "the warm-up ratio must be in [0, 1)");
        return new CosineAnnealingSchedule(totalSteps, (int)Math.Ceiling(warmupRatio * totalSteps), minFactor);
    }

    public double Factor(int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "steps count from 0");
        if (step < WarmupSteps) return (double)step / WarmupSteps;
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
        return MinFactor + (1 - MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
