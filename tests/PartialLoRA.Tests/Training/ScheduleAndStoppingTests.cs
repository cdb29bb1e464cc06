using PartialLoRA.Training;

namespace PartialLoRA.Tests.Training;

public class ScheduleAndStoppingTests
{
    [Fact]
    public void Cosine_schedule_without_warmup_follows_half_a_cosine()
    {
        var s = new CosineAnnealingSchedule(100);
        Assert.Equal(1, s.Factor(0), 12);
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.Factor(25), 12);
        Assert.Equal(0.5, s.Factor(50), 12);
        Assert.Equal(0, s.Factor(100), 12);
        for (int t = 1; t <= 100; t++) Assert.True(s.Factor(t) <= s.Factor(t - 1));
    }

    [Fact]
    public void Warmup_ramps_linearly_then_anneals_to_the_floor()
    {
        var s = new CosineAnnealingSchedule(110, warmupSteps: 10, minFactor: 0.1);
        Assert.Equal(0, s.Factor(0), 12);
        Assert.Equal(0.5, s.Factor(5), 12);
        Assert.Equal(1, s.Factor(10), 12);
        Assert.Equal(0.1 + 0.9 * 0.5, s.Factor(60), 12);
        Assert.Equal(0.1, s.Factor(110), 12);
        Assert.Equal(0.1, s.Factor(500), 12);
        Assert.Equal(3, CosineAnnealingSchedule.WithWarmupRatio(25, 0.1).WarmupSteps);
    }

    [Fact]
    public void Schedule_rejects_bad_settings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingSchedule(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingSchedule(10, warmupSteps: 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingSchedule(10, minFactor: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => CosineAnnealingSchedule.WithWarmupRatio(10, 1.0));
    }

    [Fact]
    public void Early_stopping_keeps_the_first_best_and_stops_after_patience()
    {
        var e = new EarlyStopping(patience: 2);
        Assert.True(e.Report(0.5));
        Assert.True(e.Report(0.7));
        Assert.False(e.Report(0.7)); // a tie is not an improvement
        Assert.False(e.ShouldStop);
        Assert.False(e.Report(0.6));
        Assert.True(e.ShouldStop);
        Assert.Equal(0.7, e.BestScore);
        Assert.Equal(1, e.BestEvaluation);
    }

    [Fact]
    public void Early_stopping_min_delta_and_patience_one()
    {
        var e = new EarlyStopping(patience: 1, minDelta: 0.05);
        e.Report(0.5);
        Assert.False(e.Report(0.54));
        Assert.True(e.ShouldStop);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(0));
        Assert.Throws<ArgumentException>(() => new EarlyStopping(1).Report(double.NaN));
    }
}
