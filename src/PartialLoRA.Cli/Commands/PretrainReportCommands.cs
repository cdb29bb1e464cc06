using System.CommandLine;
using System.Globalization;
using PartialLoRA.Backbones;
using PartialLoRA.Runtime;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// <c>partial-lora pretrain baselines</c> (μ table into the manifest), <c>pretrain sst2-check</c> (the text backbone's
/// SST-2 LoRA comparison, re-measured on the published checkpoint) and <c>pretrain bench</c> (throughput of candidate sizes).
/// </summary>
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

    public static Command Sst2Check()
    {
        var d = new Sst2LoraCheck.Budget();
        var data = DataCommand.CreateDataOption();
        var backbones = PretrainCommand.BackbonesOption();
        var name = new Option<string>("--name") { Description = "Text backbone name in the manifest.", DefaultValueFactory = _ => TextPublisher.DefaultName };
        var replicates = new Option<int>("--replicates") { Description = "Seeds (--seed, --seed + 1, …); each draws its own subsets, initialisation and order, shared by both arms.", DefaultValueFactory = _ => d.Replicates };
        var seed = new Option<long>("--seed") { Description = "First seed.", DefaultValueFactory = _ => d.Seed };
        var train = new Option<int>("--train-examples") { Description = "SST-2 training examples per run.", DefaultValueFactory = _ => d.TrainExamples };
        var val = new Option<int>("--validation-examples") { Description = "Other SST-2 training examples for early stopping.", DefaultValueFactory = _ => d.ValidationExamples };
        var epochs = new Option<int>("--epochs") { Description = "Fine-tuning epochs.", DefaultValueFactory = _ => d.Epochs };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var precision = PretrainCommand.PrecisionOption();
        var cmd = new Command("sst2-check", "Re-measure a published text backbone's SST-2 LoRA comparison (pretrained vs random-init encoder, same budget, several seeds) and record it in the manifest entry's quality.sst2_lora.");
        foreach (var o in new Option[] { data, backbones, name, replicates, seed, train, val, epochs, lr, precision }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            CliApp.StartRuntime(parse);
            var bf16 = PretrainCommand.ParseBf16(parse.GetValue(precision)!);
            if (CpuBf16.Warning(TorchRuntime.Device, bf16) is { } warning) Console.Error.WriteLine(warning);
            var budget = d with
            {
                Replicates = parse.GetValue(replicates), Seed = parse.GetValue(seed), TrainExamples = parse.GetValue(train),
                ValidationExamples = parse.GetValue(val), Epochs = parse.GetValue(epochs), LearningRate = parse.GetValue(lr), Bf16 = bf16,
            };
            var dir = parse.GetValue(backbones)!;
            Sst2LoraCheck.Record(dir, parse.GetValue(name)!, PretrainCommand.Root(parse, data), budget, RunRecord.CommandLine(), Console.Out);
            Console.WriteLine($"recorded quality.sst2_lora of '{parse.GetValue(name)}' in {Path.Combine(dir, BackboneManifest.FileName)}");
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
