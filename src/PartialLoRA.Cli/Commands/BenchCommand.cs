using System.CommandLine;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora bench</c>: benchmarks that print measured figures (speed and memory targets live here, not in unit tests).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmarks: measured speed and memory figures.");
        cmd.Subcommands.Add(BenchTrainCommand.Create());
        return cmd;
    }
}
