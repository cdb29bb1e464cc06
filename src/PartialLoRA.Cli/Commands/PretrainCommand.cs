using System.CommandLine;
using PartialLoRA.Backbones;
using PartialLoRA.Data;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// <c>partial-lora pretrain vision|text|baselines|sst2-check|bench</c>: the lab backbones (issue 8). Training runs in a work
/// folder and is restartable: run the same command again after a kill and it continues from the last state.
/// </summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        var cmd = new Command("pretrain", "Pretrain the lab backbones (CLIP-ViT on CIFAR-10, DeBERTa-v3 MLM on GLUE train text), measure them, record them in data/backbones.");
        cmd.Subcommands.Add(PretrainVisionCommand.Create());
        cmd.Subcommands.Add(PretrainTextCommand.Create());
        cmd.Subcommands.Add(PretrainReportCommands.Baselines());
        cmd.Subcommands.Add(PretrainReportCommands.Sst2Check());
        cmd.Subcommands.Add(PretrainReportCommands.Bench());
        return cmd;
    }

    internal static Option<string> WorkOption(string kind) => new("--work")
    {
        Description = $"Work folder for the restartable training state (default: artifacts/pretrain/{kind}). Re-running with the same folder resumes.",
        DefaultValueFactory = _ => Path.Combine("artifacts", "pretrain", kind),
    };

    internal static Option<string> BackbonesOption() => new("--backbones")
    {
        Description = "Folder of the committed backbones and their manifest.json (default: data/backbones).",
        DefaultValueFactory = _ => Path.Combine("data", "backbones"),
    };

    internal static Option<int?> StopAfterEpochOption() => new("--stop-after-epoch")
    {
        Description = "Stop at the end of epoch K of the full --epochs schedule (same warm-up/cosine and seeds, so the same trajectory) and publish that model. " +
                      "When the work folder's run is already past K, the model comes from its epoch-K snapshot and the folder is not touched.",
    };

    internal static Option<int> KeepEpochsOption() => new("--keep-epochs")
    {
        Description = "Keep the state of the last N epoch ends (epoch-KK.safetensors in the work folder) for --stop-after-epoch.",
        DefaultValueFactory = _ => PretrainLoop.DefaultKeepEpochSnapshots,
    };

    internal static Option<bool> RestartOption() => new("--restart") { Description = "Discard the work folder's state and start from step 0." };

    internal static Option<bool> NoPublishOption() => new("--no-publish") { Description = "Train only: do not write the backbone folder nor the manifest." };

    internal static Option<string> PrecisionOption() => new("--precision")
    {
        Description = "Forward-pass precision: bf16 (autocast; weights and optimizer state stay f32) or f32.",
        DefaultValueFactory = _ => "bf16",
    };

    internal static bool ParseBf16(string value) => value.ToLowerInvariant() switch
    {
        "bf16" => true,
        "f32" => false,
        _ => throw new ArgumentException($"--precision {value}: expected bf16 or f32"),
    };

    internal static void PrepareWork(string work, bool restart)
    {
        if (restart) PretrainState.Delete(work);
    }

    internal static string Root(ParseResult parse, Option<string?> data) => DataRoot.Resolve(parse.GetValue(data));
}
