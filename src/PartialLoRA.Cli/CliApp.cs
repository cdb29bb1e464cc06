using System.CommandLine;
using PartialLoRA.Cli.Commands;
using PartialLoRA.Runtime;

namespace PartialLoRA.Cli;

/// <summary>The <c>partial-lora</c> command: global options, verbs, and one-line errors for user mistakes.</summary>
public static class CliApp
{
    public static readonly Option<string?> DeviceOption = new("--device")
    {
        Description = $"auto (CUDA when available, else CPU), cpu, cuda or cuda:N. Default: ${RuntimeOptions.DeviceVariable} or auto.",
        Recursive = true,
    };

    public static readonly Option<int?> ThreadsOption = new("--threads")
    {
        Description = $"CPU threads for libtorch. Default: ${RuntimeOptions.ThreadsVariable} or one per core.",
        Recursive = true,
    };

    public static readonly Option<string?> DenormalsOption = new("--denormals")
    {
        Description = $"Subnormal floats on the CPU: flush (to zero; PyTorch's set_flush_denormal, many times faster backward passes here) or keep (IEEE). Default: ${RuntimeOptions.DenormalsVariable} or flush.",
        Recursive = true,
    };

    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "Print stack traces with errors.",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Partial-LoRA: sparse low-rank adapters (\"The Quest for Winning Tickets in Low-Rank Adapters\") on TorchSharp.");
        root.Options.Add(DeviceOption);
        root.Options.Add(ThreadsOption);
        root.Options.Add(DenormalsOption);
        root.Options.Add(VerboseOption);
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(NotebooksCommand.Create());
        root.Subcommands.Add(AdaptersCommand.Create());
        root.Subcommands.Add(HubCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(DeriveCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(PretrainCommand.Create());
        return root;
    }

    public static int Run(string[] args)
    {
        var parse = Build().Parse(args);
        // The denormal mode goes on the main thread before the command starts any thread (notebook cells, libgomp's
        // workers), since threads copy it from their creator; a bad value is reported when the command starts Torch.
        try
        {
            Denormals.Apply(Options(parse).Denormals);
        }
        catch (ArgumentException)
        {
        }
        return parse.Invoke();
    }

    /// <summary>Starts Torch with the global options over the environment.</summary>
    public static TorchRuntimeState StartRuntime(ParseResult parse) => TorchRuntime.Initialize(Options(parse));

    /// <summary>", subnormals flush|keep" for a command's device line; empty where the mode cannot be set.</summary>
    public static string Subnormals(TorchRuntimeState state) => Denormals.Name(state.Denormals) is { } name ? $", subnormals {name}" : "";

    private static RuntimeOptions Options(ParseResult parse) => RuntimeOptions.FromEnvironment()
        .WithOverrides(device: parse.GetValue(DeviceOption), threads: parse.GetValue(ThreadsOption), denormals: parse.GetValue(DenormalsOption));

    /// <summary>Runs a verb; any exception becomes "error: message" on stderr and exit code 2.</summary>
    public static int Guard(ParseResult parse, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            var msg = e is AggregateException { InnerExceptions.Count: 1 } ae ? ae.InnerExceptions[0] : e;
            Console.Error.WriteLine($"error: {msg.Message.ReplaceLineEndings(" ")}");
            if (parse.GetValue(VerboseOption)) Console.Error.WriteLine(e);
            return 2;
        }
    }
}
