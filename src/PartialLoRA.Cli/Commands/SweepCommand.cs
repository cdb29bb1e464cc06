using System.CommandLine;
using PartialLoRA.Experiments;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora sweep SPEC</c>: runs a sweep spec's grid into the results store, resumably and shardably.</summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "Sweep spec (JSON): model, datasets, methods, seeds, learning_rates, training, top_k." };
        var store = new Option<string?>("--store")
        {
            Description = "Results store folder (JSONL files). Default: results/<spec name>.",
        };
        var shard = new Option<string?>("--shard")
        {
            Description = $"Run only shard i of N (0-based, i/N). Default: from {Shard.SlurmTaskId}/{Shard.SlurmTaskCount} in a Slurm job array, else the whole sweep.",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "List the planned runs and which are finished; train nothing." };
        var cache = ExperimentOptions.Cache();
        var data = DataCommand.CreateDataOption();
        var cmd = new Command("sweep", "Run a sweep (methods × datasets × seeds × learning rates) into the results store; re-running resumes, skipping finished runs.");
        cmd.Arguments.Add(spec);
        cmd.Options.Add(store);
        cmd.Options.Add(shard);
        cmd.Options.Add(dryRun);
        cmd.Options.Add(cache);
        cmd.Options.Add(data);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var catalog = BuiltInCatalog.Create(parse.GetValue(data));
            var specPath = parse.GetValue(spec)!;
            var sweep = SweepSpec.Load(specPath, catalog);
            var folder = parse.GetValue(store) ?? Path.Combine("results", sweep.Name);
            var sh = Shard.Resolve(parse.GetValue(shard));
            if (parse.GetValue(dryRun)) return DryRun(sweep, folder, sh);

            var state = CliApp.StartRuntime(parse);
            using var executor = new RunExecutor(catalog, state.Device, CacheFolder.Resolve(parse.GetValue(cache)));
            var outcome = SweepProgress.Show(observer => SweepRunner.Run(sweep, folder, sh, executor, observer));
            Console.WriteLine($"done: {outcome.Ran} run(s) recorded ({outcome.Diverged} diverged), {outcome.AlreadyFinished} already finished; store {outcome.StoreFile}");
            return 0;
        }));
        return cmd;
    }

    private static int DryRun(SweepSpec sweep, string folder, Shard? shard)
    {
        var plan = sweep.Expand(CodeVersion.Current);
        var finished = ResultsStore.Load(folder).Keys;
        int mine = 0, done = 0;
        for (int i = 0; i < plan.Count; i++)
        {
            if (shard != null && !shard.Owns(i)) continue;
            mine++;
            var isDone = finished.Contains(plan[i].Key);
            if (isDone) done++;
            Console.WriteLine($"{(isDone ? "done" : "todo")}  {plan[i].Key[..12]}  {plan[i].Label}: {plan[i].Config.Describe()}");
        }
        Console.WriteLine($"{plan.Count} runs planned, {mine} in {(shard is null ? "this sweep" : $"shard {shard}")}, {done} finished, {mine - done} to run; store {Path.GetFullPath(folder)}; code version {CodeVersion.Current}");
        return 0;
    }
}
