using PartialLoRA.Training;
using Spectre.Console;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// Progress for one long piece of work: a Spectre.Console bar (training steps) or spinner (work without step
/// counts) when stdout is an interactive terminal; nothing otherwise, so logs and pipes stay clean.
/// </summary>
public static class ProgressDisplay
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs training work with a step bar; the work receives null when there is no terminal.</summary>
    public static T Training<T>(string description, Func<IProgress<TrainingProgress>?, T> work)
    {
        if (!Interactive) return work(null);
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: 1);
                result = work(new Experiments.InlineProgress<TrainingProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalSteps);
                    task.Value = p.Step;
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Runs work with a spinner and a description.</summary>
    public static T Spinner<T>(string description, Func<T> work) =>
        Interactive ? AnsiConsole.Status().Start(Markup.Escape(description), _ => work()) : work();
}
