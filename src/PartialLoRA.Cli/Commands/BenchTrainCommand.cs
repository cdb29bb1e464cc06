using System.CommandLine;
using System.Globalization;
using PartialLoRA.Experiments;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora bench train</c>: one training run timed end to end (steps/s, examples/s, peak memory).</summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name or JSON object.", DefaultValueFactory = _ => "tiny-mlp" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset name or JSON object.", DefaultValueFactory = _ => "synthetic-blobs" };
        var method = new Option<string>("--method") { Description = "Method name or JSON object.", DefaultValueFactory = _ => "full" };
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3 };
        var training = new Option<string?>("--training") { Description = "Training settings JSON (epochs, batch_size, …)." };
        var cache = ExperimentOptions.Cache();
        var data = DataCommand.CreateDataOption();
        var cmd = new Command("train", "Time one training run of a model/dataset/method: wall time, optimizer steps/s, training examples/s, peak memory.");
        foreach (var o in new Option[] { model, dataset, method, lr, training, cache, data }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var catalog = BuiltInCatalog.Create(parse.GetValue(data));
            var m = catalog.NormalizeModel(ExperimentOptions.NameOrJson(parse.GetValue(model)!, "--model"), "--model", "bench");
            var d = catalog.NormalizeDataset(ExperimentOptions.NameOrJson(parse.GetValue(dataset)!, "--dataset"), "--dataset", "bench");
            var (me, _) = catalog.NormalizeMethod(ExperimentOptions.NameOrJson(parse.GetValue(method)!, "--method"), "--method", "bench");
            var settings = parse.GetValue(training) is { } t ? TrainingSettings.Parse(JsonFields.Parse(t, "--training"), "--training", "bench") : TrainingSettings.Default;
            var state = CliApp.StartRuntime(parse);
            using var executor = new RunExecutor(catalog, state.Device, CacheFolder.Resolve(parse.GetValue(cache)));
            var run = new PlannedRun(new RunConfig(m, d, me, settings, 0, parse.GetValue(lr), CodeVersion.Current), me.Name);
            var task = executor.Task(d, m);
            var r = ProgressDisplay.Training($"{run.Label}: {run.Config.Describe()}", progress => executor.Execute(run, progress: progress));
            var inv = CultureInfo.InvariantCulture;
            int steps = 0, epochs = 0;
            if (r.Status == RunRecord.Ok)
            {
                steps = JsonFields.GetInt(r.Details, "steps");
                epochs = JsonFields.GetInt(r.Details, "epochs_run");
            }
            Console.WriteLine($"device        {state.Device} ({r.Details["precision"]}), {state.Threads} CPU threads{CliApp.Subnormals(state)}");
            Console.WriteLine($"run           {m.Name} / {d.Name} / {me.Name}: {r.Status}");
            Console.WriteLine($"trainable     {r.TrainableParameters.ToString(inv)} of {r.Details["total_parameters"]} parameters");
            Console.WriteLine($"wall time     {r.WallSeconds.ToString("F2", inv)} s for {steps} steps in {epochs} epoch(s), evaluations included");
            Console.WriteLine($"throughput    {(steps / r.WallSeconds).ToString("F1", inv)} steps/s, {(epochs * task.Train.Count / r.WallSeconds).ToString("F0", inv)} training examples/s");
            Console.WriteLine($"peak memory   CPU RSS {Mib(Bytes(r, "peak_cpu_rss_bytes"))}{(r.Details["peak_cpu_rss_per_run"]?.GetValue<bool>() == true ? " (this run)" : " (process)")}" +
                              $", CUDA {Mib(Bytes(r, "peak_cuda_used_bytes"))}");
            Console.WriteLine($"result        {SweepProgress.Outcome(r)}");
            return 0;
        }));
        return cmd;
    }

    private static long? Bytes(RunRecord r, string name) => r.Details[name] is null ? null : JsonFields.GetLong(r.Details, name);

    private static string Mib(long? bytes) => bytes is { } b ? $"{(b / 1048576.0).ToString("F0", CultureInfo.InvariantCulture)} MiB" : "n/a";
}
