using System.CommandLine;
using System.Text.Json;
using PartialLoRA.Experiments;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora train</c>: one run (model, dataset, method, seed, learning rate) → its result JSON.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name, or a JSON object {\"name\": …, options…}.", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Dataset name, or a JSON object {\"name\": …, options…}.", Required = true };
        var method = new Option<string>("--method") { Description = "Method name, or a JSON object {\"name\": …, options…}.", Required = true };
        var lr = new Option<double>("--lr") { Description = "Learning rate (> 0).", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed (initialisation, masks, shuffling, dropout). Default 0." };
        var training = new Option<string?>("--training") { Description = "Training settings as a JSON object (the sweep spec's \"training\" block)." };
        var output = new Option<string?>("--output") { Description = "Write the result JSON to this file (atomically) instead of stdout." };
        var store = new Option<string?>("--store") { Description = "Also append the result to this results store folder; a run already there is not re-run." };
        var cache = ExperimentOptions.Cache();
        var data = DataCommand.CreateDataOption();
        var cmd = new Command("train", "Train one run and print its result (validation and test metrics, trainable parameters, wall time, peak memory) as JSON.");
        foreach (var o in new Option[] { model, dataset, method, lr, seed, training, output, store, cache, data }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var catalog = BuiltInCatalog.Create(parse.GetValue(data));
            var m = catalog.NormalizeModel(ExperimentOptions.NameOrJson(parse.GetValue(model)!, "--model"), "--model", "train");
            var d = catalog.NormalizeDataset(ExperimentOptions.NameOrJson(parse.GetValue(dataset)!, "--dataset"), "--dataset", "train");
            var (me, label) = catalog.NormalizeMethod(ExperimentOptions.NameOrJson(parse.GetValue(method)!, "--method"), "--method", "train");
            var rate = parse.GetValue(lr);
            if (!(rate > 0) || !double.IsFinite(rate)) throw new SpecException($"train: --lr {rate}: a learning rate must be > 0");
            var settings = parse.GetValue(training) is { } t ? TrainingSettings.Parse(JsonFields.Parse(t, "--training"), "--training", "train") : TrainingSettings.Default;
            var run = new PlannedRun(new RunConfig(m, d, me, settings, parse.GetValue(seed), rate, CodeVersion.Current), label ?? me.Name);

            RunRecord? record = null;
            ResultsWriter? writer = null;
            try
            {
                if (parse.GetValue(store) is { } folder)
                {
                    writer = ResultsWriter.Open(folder, null);
                    if (writer.FinishedKeys.Contains(run.Key))
                    {
                        record = ResultsStore.Load(folder).Runs.First(r => r.Key == run.Key);
                        Console.Error.WriteLine($"already in {writer.File}; not re-run");
                    }
                }
                if (record is null)
                {
                    var state = CliApp.StartRuntime(parse);
                    using var executor = new RunExecutor(catalog, state.Device, CacheFolder.Resolve(parse.GetValue(cache)));
                    record = ProgressDisplay.Training($"{run.Label}: {run.Config.Describe()}", progress => executor.Execute(run, progress: progress));
                    writer?.Append(record);
                }
            }
            finally
            {
                writer?.Dispose();
            }
            var json = record.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            if (parse.GetValue(output) is { } path) AtomicFile.WriteAllText(path, json + "\n");
            else Console.WriteLine(json);
            return record.Status == RunRecord.Ok ? 0 : 1;
        }));
        return cmd;
    }
}
