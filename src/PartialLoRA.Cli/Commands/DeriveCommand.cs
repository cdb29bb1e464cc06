using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.Methods;
using PartialLoRA.Sparsity;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// <c>partial-lora derive</c>: Algorithm 1 (§4.2.1) on a model's pretrained weights and a dataset's few-shot set →
/// a sparsity plan JSON, through the same cache the sweeps use (so a later sweep reuses it).
/// </summary>
public static class DeriveCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name, or a JSON object {\"name\": …, \"checkpoint\": …}.", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Dataset name, or a JSON object {\"name\": …, options…}; its few-shot set is D_t.", Required = true };
        var method = new Option<string>("--method")
        {
            Description = "The masked method the plan is for, with its plan options: partial-lora (default), targeted-lora, inverted, stochastic, " +
                          "partial-adalora, or a JSON object such as {\"name\": \"partial-lora\", \"importance\": \"snip\", \"threshold\": 0.8, \"target_modules\": [\"q_proj\", \"v_proj\"]}.",
            DefaultValueFactory = _ => "partial-lora",
        };
        var output = new Option<string?>("--out") { Description = "Also write the plan JSON here (atomically)." };
        var cache = ExperimentOptions.Cache();
        var data = DataCommand.CreateDataOption();
        var cmd = new Command("derive", "Algorithm 1: derive per-layer sparsity ratios (and kept rows/columns) from a model's pretrained weights on a few-shot set; print and save the plan.");
        foreach (var o in new Option[] { model, dataset, method, output, cache, data }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var catalog = BuiltInCatalog.Create(parse.GetValue(data));
            var m = catalog.NormalizeModel(ExperimentOptions.NameOrJson(parse.GetValue(model)!, "--model"), "--model", "derive");
            var d = catalog.NormalizeDataset(ExperimentOptions.NameOrJson(parse.GetValue(dataset)!, "--dataset"), "--dataset", "derive");
            var (me, _) = catalog.NormalizeMethod(ExperimentOptions.NameOrJson(parse.GetValue(method)!, "--method"), "--method", "derive");
            if (!me.Options.ContainsKey("importance"))
                throw new SpecException($"derive: --method {me.Name} takes no sparsity plan; use one of {string.Join(", ", PlannedLoraMethod.Names.Append("partial-adalora"))}");

            var state = CliApp.StartRuntime(parse);
            var workspace = CacheFolder.Resolve(parse.GetValue(cache));
            using var executor = new RunExecutor(catalog, state.Device, workspace);
            var task = executor.Task(d, m);
            using var handle = catalog.Models[m.Name].Build(m, task, state.Device);
            var context = new MethodContext(handle, task, m, d, 0, TrainingSettings.Default.ToTrainerOptions(1e-3, 0, task.Metrics, task.SelectionMetric),
                1, state.Device, workspace);
            var clock = Stopwatch.StartNew();
            var derived = ProgressDisplay.Spinner($"Algorithm 1 on {m.Name} / {d.Name}",
                () => PlanOptions.Plan(context, me.Options, AdapterOptions.Targets(me.Options, handle, me.Name)));
            clock.Stop();
            Print(derived, clock.Elapsed, task);
            if (parse.GetValue(output) is { } path)
            {
                SparsityPlanJson.Save(derived.Plan, path);
                Console.WriteLine($"written       {Path.GetFullPath(path)}");
            }
            return 0;
        }));
        return cmd;
    }

    private static void Print(DerivedPlan d, TimeSpan elapsed, TrainingTask task)
    {
        var inv = CultureInfo.InvariantCulture;
        var p = d.Plan.Provenance;
        Console.WriteLine($"plan          {p.Model} on {p.Task}: importance {p.Measure}, flow {p.Flow}, τ = {p.Threshold?.ToString(inv)}");
        Console.WriteLine($"few-shot D_t  {task.FewShot?.Count} samples; baseline accuracy μ = {p.BaselineAccuracy?.ToString("F4", inv)}; {p.Evaluations} evaluations");
        Console.WriteLine($"time          {(d.FromCache ? "read from the cache" : $"{elapsed.TotalSeconds.ToString("F1", inv)} s")} ({d.File})");
        Console.WriteLine($"{"module",-48} {"rows kept",14} {"cols kept",14}");
        foreach (var l in d.Plan.Layers)
            Console.WriteLine($"{l.Module,-48} {$"{l.KeptRows}/{l.Rows}",14} {$"{l.KeptCols}/{l.Cols}",14}");
        var kept = d.Plan.Layers.Sum(l => (double)l.KeptRows + l.KeptCols);
        var all = d.Plan.Layers.Sum(l => (double)l.Rows + l.Cols);
        Console.WriteLine($"overall       {(100 * kept / all).ToString("F1", inv)}% of rows and columns kept across {d.Plan.Layers.Count} layers");
    }
}
