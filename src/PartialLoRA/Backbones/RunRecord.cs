using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using PartialLoRA.Runtime;
using TorchSharp;

namespace PartialLoRA.Backbones;

/// <summary>The provenance part of a manifest entry: command, machine, time.</summary>
public static class RunRecord
{
    /// <summary>The command line of this process as the user typed it through the <c>partial-lora</c> launcher.</summary>
    public static string CommandLine() =>
        "partial-lora " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1).Select(Quote));

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:,+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>Device, CPU model and thread count, e.g. "cpu (AMD EPYC, x64), 1 libtorch thread(s)".</summary>
    public static string Device()
    {
        var cpu = "unknown CPU";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }
        return $"{TorchRuntime.Device} ({cpu}, {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical cores), " +
               $"{torch.get_num_threads()} libtorch thread(s), TorchSharp {typeof(torch).Assembly.GetName().Version}";
    }

    public static JsonObject Provenance(string command, string data, PretrainRunInfo run, long seed) => new()
    {
        ["command"] = command,
        ["status"] = run.Complete
            ? $"final: all {run.ScheduledEpochs} epochs of the schedule"
            : $"intermediate: epoch {run.EpochsTrained} of a {run.ScheduledEpochs}-epoch schedule (warm-up + cosine over all {run.ScheduledEpochs}; the run continues)",
        ["data"] = data,
        ["epochs"] = run.EpochsTrained,
        ["schedule_epochs"] = run.ScheduledEpochs,
        ["steps"] = run.Steps,
        ["seed"] = seed,
        ["device"] = Device(),
        ["train_wall_seconds"] = Math.Round(run.ElapsedSeconds, 1),
        ["resumed_from_checkpoint"] = run.Resumed,
        ["loaded_from_epoch_snapshot"] = run.FromSnapshot,
        ["created_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["reproducibility"] = "same command ⇒ same data order, augmentation, masks and dropout (all seeded per step); CPU libtorch kernels may differ in the last bits across machines and thread counts",
    };
}
