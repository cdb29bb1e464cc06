using System.CommandLine;
using PartialLoRA.Data;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora bench data</c>: image decode and batching throughput on a real dataset (default CIFAR-10 train).</summary>
public static class BenchDataCommand
{
    public static Command Create()
    {
        var data = DataCommand.CreateDataOption();
        var dataset = new Option<string>("--dataset") { Description = "Image dataset to read.", DefaultValueFactory = _ => "cifar10" };
        var split = new Option<string>("--split") { Description = "Split to read.", DefaultValueFactory = _ => "train" };
        var limit = new Option<int?>("--limit") { Description = "Decode at most this many images (default: the whole split)." };
        var resized = new Option<int>("--resized-limit") { Description = "Images for the two 224×224 stages.", DefaultValueFactory = _ => 2048 };
        var batch = new Option<int>("--batch-size") { Description = "Batch size.", DefaultValueFactory = _ => 256 };
        var workers = new Option<int?>("--workers") { Description = "Decoding threads (default: one per core)." };
        var cmd = new Command("data", "Measure decode + batch throughput: native-size decode, normalised batches, 224×224 resized output.");
        foreach (var o in new Option[] { data, dataset, split, limit, resized, batch, workers }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var state = CliApp.StartRuntime(parse);
            var root = DataRoot.Resolve(parse.GetValue(data));
            var parallelism = parse.GetValue(workers) ?? Environment.ProcessorCount;
            if (parallelism <= 0) throw new ArgumentException($"--workers {parallelism}: must be positive");
            if (parse.GetValue(batch) <= 0) throw new ArgumentException($"--batch-size {parse.GetValue(batch)}: must be positive");
            Console.WriteLine($"bench data: {parse.GetValue(dataset)}/{parse.GetValue(split)} from {root}; {Environment.ProcessorCount} cores, " +
                              $"{parallelism} decode threads, torch threads {state.Threads}, device {state.Device}; load average before: {DataBenchmark.LoadAverage()}");
            DataBenchmark.Run(parse.GetValue(dataset)!, parse.GetValue(split)!, root, parse.GetValue(limit), parse.GetValue(resized),
                parse.GetValue(batch), parallelism,
                f => Console.WriteLine($"{f.Stage,-78} {f.Images,7} images {f.Seconds,8:F2} s {f.ImagesPerSecond,10:F0} img/s"));
            Console.WriteLine($"load average after: {DataBenchmark.LoadAverage()}");
            return 0;
        }));
        return cmd;
    }
}
