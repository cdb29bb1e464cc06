using System.Globalization;
using PartialLoRA.Experiments;
using PartialLoRA.Training;
using Spectre.Console;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// Sweep progress: a Spectre.Console progress display (overall runs + the run in flight) when stdout is a
/// terminal; otherwise one plain line per finished run, fit for logs and Slurm output files.
/// </summary>
public sealed class SweepProgress : ISweepObserver
{
    private readonly ProgressContext? context;
    private ProgressTask? overall;
    private ProgressTask? current;
    private int total;

    private SweepProgress(ProgressContext? context) => this.context = context;

    /// <summary>Runs <paramref name="work"/> with the right observer for this console.</summary>
    public static T Show<T>(Func<ISweepObserver, T> work)
    {
        if (!ProgressDisplay.Interactive) return work(new SweepProgress(null));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => result = work(new SweepProgress(ctx)));
        return result;
    }

    public void Started(SweepOutcome plan, IReadOnlyList<PlannedRun> todo)
    {
        total = todo.Count;
        var line = $"{plan.Planned} runs planned, {plan.InShard} in this shard, {plan.AlreadyFinished} already finished, {todo.Count} to run → {plan.StoreFile}";
        if (context is null) Console.WriteLine(line);
        else
        {
            AnsiConsole.MarkupLine(Markup.Escape(line));
            overall = context.AddTask("sweep", maxValue: Math.Max(1, todo.Count));
        }
    }

    public void RunStarting(int index, PlannedRun run)
    {
        if (context is null) return;
        current?.StopTask();
        current = context.AddTask(Markup.Escape($"[{index + 1}/{total}] {run.Label}: {run.Config.Describe()}"), maxValue: 1);
    }

    public void RunProgress(int index, PlannedRun run, TrainingProgress p)
    {
        if (current is null) return;
        current.MaxValue = Math.Max(1, p.TotalSteps);
        current.Value = p.Step;
    }

    public void RunFinished(int index, PlannedRun run, RunRecord record)
    {
        var line = $"[{index + 1}/{total}] {run.Label}: {run.Config.Describe()}: {Outcome(record)}";
        if (context is null)
        {
            Console.WriteLine(line);
            return;
        }
        current?.StopTask();
        current = null;
        overall!.Increment(1);
        AnsiConsole.MarkupLine(Markup.Escape(line));
    }

    public static string Outcome(RunRecord r)
    {
        var inv = CultureInfo.InvariantCulture;
        if (r.Status != RunRecord.Ok) return $"{r.Status} ({r.Details["error"]?.GetValue<string>()}), {r.WallSeconds.ToString("F1", inv)} s";
        var val = string.Join(", ", r.Validation!.Select(m => $"{m.Key} {m.Value.ToString("F4", inv)}"));
        var test = r.Test is null ? "" : "; test " + string.Join(", ", r.Test.Select(m => $"{m.Key} {m.Value.ToString("F4", inv)}"));
        return $"validation {val}{test}; {r.TrainableParameters.ToString(inv)} trainable; {r.WallSeconds.ToString("F1", inv)} s";
    }
}
