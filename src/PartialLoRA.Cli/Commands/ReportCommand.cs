using System.CommandLine;
using PartialLoRA.Experiments;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora report</c>: the §5 tables (top-k by validation, mean ± std) from one or more stores or shard files.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var stores = new Argument<string[]>("stores")
        {
            Description = "Store folders or JSONL files (all shards' files are read and deduplicated).",
            Arity = ArgumentArity.OneOrMore,
        };
        var spec = new Option<string?>("--spec") { Description = "Only the runs of this sweep spec (at the current code version)." };
        var format = new Option<string>("--format") { Description = "markdown (default) or csv.", DefaultValueFactory = _ => "markdown" };
        var runs = new Option<bool>("--runs") { Description = "List every run instead of the top-k summary (CSV)." };
        var topK = new Option<int?>("--top-k") { Description = "Runs averaged per (model, dataset, method). Default: the spec's top_k, else 5." };
        var output = new Option<string?>("--output") { Description = "Write the table to this file (atomically) instead of stdout." };
        var merged = new Option<string?>("--merged") { Description = "Also write the deduplicated union of all inputs as one JSONL file (merging shards)." };
        var cmd = new Command("report", "Tables from the results store: mean ± std of the top-k runs by validation score per model, dataset and method, with test metrics.");
        cmd.Arguments.Add(stores);
        foreach (var o in new Option[] { spec, format, runs, topK, output, merged }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var sources = parse.GetValue(stores)!;
            foreach (var s in sources)
                if (!File.Exists(s) && !Directory.Exists(s)) throw new SpecException($"report: '{s}' is neither a store folder nor a JSONL file");
            var contents = parse.GetValue(merged) is { } m ? ResultsStore.Merge(sources, m) : ResultsStore.Load(sources);
            foreach (var w in contents.Warnings) Console.Error.WriteLine($"warning: {w}");
            var selected = contents.Runs;
            int k = parse.GetValue(topK) ?? SweepSpec.DefaultTopK;
            if (parse.GetValue(spec) is { } specPath)
            {
                var sweep = SweepSpec.Load(specPath, BuiltInCatalog.Create());
                var keys = sweep.Expand(CodeVersion.Current).Select(r => r.Key).ToHashSet();
                selected = selected.Where(r => keys.Contains(r.Key)).ToList();
                k = parse.GetValue(topK) ?? sweep.TopK;
            }
            if (k < 1) throw new SpecException($"report: --top-k {k}: must be ≥ 1");
            var fmt = parse.GetValue(format)!;
            if (fmt is not ("markdown" or "csv")) throw new SpecException($"report: --format '{fmt}': expected markdown or csv");
            string text;
            if (parse.GetValue(runs)) text = ResultTables.RunsCsv(selected);
            else
            {
                var rows = ProtocolSummary.Summarize(selected, k);
                text = fmt == "csv" ? ResultTables.SummaryCsv(rows) : ResultTables.SummaryMarkdown(rows, k);
            }
            if (parse.GetValue(output) is { } path) AtomicFile.WriteAllText(path, text);
            else Console.Write(text);
            if (contents.Duplicates > 0) Console.Error.WriteLine($"note: {contents.Duplicates} duplicate line(s) ignored");
            return 0;
        }));
        return cmd;
    }
}
