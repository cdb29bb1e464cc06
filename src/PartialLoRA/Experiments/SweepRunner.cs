using PartialLoRA.Training;

namespace PartialLoRA.Experiments;

/// <summary>What a sweep (or one shard of it) did.</summary>
/// <param name="Planned">Runs in the whole sweep.</param>
/// <param name="InShard">Runs this shard owns.</param>
/// <param name="AlreadyFinished">Of those, found finished in the store and skipped.</param>
/// <param name="Ran">Runs executed and recorded now.</param>
/// <param name="Diverged">Of those, how many diverged.</param>
public sealed record SweepOutcome(int Planned, int InShard, int AlreadyFinished, int Ran, int Diverged, string StoreFile);

/// <summary>Callbacks for progress displays.</summary>
public interface ISweepObserver
{
    void Started(SweepOutcome plan, IReadOnlyList<PlannedRun> todo);
    void RunStarting(int index, PlannedRun run);
    void RunProgress(int index, PlannedRun run, TrainingProgress progress);
    void RunFinished(int index, PlannedRun run, RunRecord record);
}

/// <summary>
/// Runs a sweep's shard into the store: the runs this shard owns, minus those already in any of the store's
/// files, one after the other, each appended atomically when it finishes. Re-running the same command resumes:
/// a killed sweep loses at most the run in flight and never records a run twice.
/// </summary>
public static class SweepRunner
{
    public static SweepOutcome Run(SweepSpec spec, string storeFolder, Shard? shard, RunExecutor executor,
        ISweepObserver? observer = null, CancellationToken cancel = default)
    {
        var plan = spec.Expand(CodeVersion.Current);
        var mine = plan.Where((_, i) => shard?.Owns(i) ?? true).ToList();
        using var writer = ResultsWriter.Open(storeFolder, shard, cancel);
        var todo = mine.Where(r => !writer.FinishedKeys.Contains(r.Key)).ToList();
        var outcome = new SweepOutcome(plan.Count, mine.Count, mine.Count - todo.Count, 0, 0, writer.File);
        observer?.Started(outcome, todo);
        int ran = 0, diverged = 0;
        for (int i = 0; i < todo.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var run = todo[i];
            observer?.RunStarting(i, run);
            var progress = observer is null ? null : new InlineProgress<TrainingProgress>(p => observer.RunProgress(i, run, p));
            RunRecord record;
            try
            {
                record = executor.Execute(run, shard?.ToString(), progress, cancel);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Finished runs are safe in the store; name the one that failed so it can be looked at alone (`train`).
                throw new InvalidOperationException($"run {run.Key[..12]} ({run.Label}: {run.Config.Describe()}) failed: {e.Message}", e);
            }
            writer.Append(record);
            ran++;
            if (record.Status == RunRecord.Diverged) diverged++;
            observer?.RunFinished(i, run, record);
        }
        return outcome with { Ran = ran, Diverged = diverged };
    }
}

/// <summary>An IProgress that reports on the calling thread (System.Progress posts to the thread pool).</summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
