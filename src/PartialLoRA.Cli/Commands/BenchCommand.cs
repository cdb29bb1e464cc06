using System.CommandLine;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora bench …</c>: benchmark commands that print measured figures (speed targets live here, not in tests).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmarks that print measured throughput and timings.");
        cmd.Subcommands.Add(BenchDataCommand.Create());
        cmd.Subcommands.Add(BenchDeriveCommand.Create());
        cmd.Subcommands.Add(BenchTrainCommand.Create());
        cmd.Subcommands.Add(BenchFinetuneCommand.Create());
        return cmd;
    }
}
