using System.CommandLine;
using System.Globalization;
using PartialLoRA.Backbones;
using PartialLoRA.Runtime;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora pretrain baselines</c> (μ table into the manifest) and <c>pretrain bench</c> (throughput of candidate sizes).</summary>
public static class PretrainReportCommands
{
    public static Command Baselines()
    {
        var data = DataCommand.CreateDataOption();
        var backbones = PretrainCommand.BackbonesOption();
        var seed = new Option<long>("--seed") { Description = "Few-shot sampling seed.", DefaultValueFactory = _ => 0 };
        var shots = new Option<int>("--shots") { Description = "Shots per class for the vision tasks.", DefaultValueFactory = _ => 16 };
        var cmd = new Command("baselines", "Compute Algorithm 1's few-shot baseline μ of every lab task (class-mean-initialised head on the lab backbones) and record the table in the manifest.");
        foreach (var o in new Option[] { data, backbones, seed, shots }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            CliApp.StartRuntime(parse);
            var dir = parse.GetValue(backbones)!;
            var table = FewShotBaselines.Compute(PretrainCommand.Root(parse, data), dir, (ulong)parse.GetValue(seed), parse.GetValue(shots), Console.Out);
            table["command"] = RunRecord.CommandLine();
            table["device"] = RunRecord.Device();
            var manifest = BackboneManifest.Update(dir, m => m.SetSection(FewShotBaselines.SectionName, table));
            Console.WriteLine($"recorded the table in {manifest.PathName}");
            return 0;
        }));
        return cmd;
    }

    public static Command Bench()
    {
        var kind = new Option<string>("--kind") { Description = "vision or text.", DefaultValueFactory = _ => "vision" };
        var steps = new Option<int>("--steps") { Description = "Timed steps (after 2 warm-up steps).", DefaultValueFactory = _ => 10 };
        var batch = new Option<int?>("--batch-size") { Description = "Batch size (default: the committed recipe's)." };
        var width = new Option<int?>("--width") { Description = "Width (default: the committed recipe's)." };
        var layers = new Option<int?>("--layers") { Description = "Layers." };
        var heads = new Option<int?>("--heads") { Description = "Heads." };
        var mlp = new Option<double?>("--mlp-ratio") { Description = "Vision MLP ratio." };
        var precision = PretrainCommand.PrecisionOption();
        var cmd = new Command("bench", "Measure training-step throughput (img/s or tokens/s) of a candidate backbone size on synthetic inputs.");
        foreach (var o in new Option[] { kind, steps, batch, width, layers, heads, mlp, precision }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            CliApp.StartRuntime(parse);
            var bf16 = PretrainCommand.ParseBf16(parse.GetValue(precision)!);
            if (CpuBf16.Warning(TorchRuntime.Device, bf16) is { } warning) Console.Error.WriteLine(warning);
            PretrainThroughput r;
            switch (parse.GetValue(kind))
            {
                case "vision":
                {
                    var d = new VisionPretrainOptions();
                    var o = d with
                    {
                        Width = parse.GetValue(width) ?? d.Width,
                        Layers = parse.GetValue(layers) ?? d.Layers,
                        Heads = parse.GetValue(heads) ?? d.Heads,
                        MlpRatio = parse.GetValue(mlp) ?? d.MlpRatio,
                        Schedule = d.Schedule with { BatchSize = parse.GetValue(batch) ?? d.Schedule.BatchSize, Bf16 = bf16 },
                    };
                    o.Validate();
                    r = PretrainBenchmark.Vision(o, parse.GetValue(steps));
                    break;
                }
                case "text":
                {
                    var d = new TextPretrainOptions();
                    var o = d with
                    {
                        Width = parse.GetValue(width) ?? d.Width,
                        Layers = parse.GetValue(layers) ?? d.Layers,
                        Heads = parse.GetValue(heads) ?? d.Heads,
                        IntermediateSize = 4 * (parse.GetValue(width) ?? d.Width),
                        Schedule = d.Schedule with { BatchSize = parse.GetValue(batch) ?? d.Schedule.BatchSize, Bf16 = bf16 },
                    };
                    o.Validate();
                    r = PretrainBenchmark.Text(o, parse.GetValue(steps));
                    break;
                }
                default:
                    throw new ArgumentException($"--kind {parse.GetValue(kind)}: expected vision or text");
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Kind}: {r.Size}; {r.Parameters:N0} parameters; {r.Precision}, {r.Threads} thread(s), batch {r.BatchSize}: " +
                $"{r.SecondsPerStep * 1000:F0} ms/step, {r.ItemsPerSecond:F1} {r.Unit}/s over {r.Steps} steps"));
            return 0;
        }));
        return cmd;
    }
}
