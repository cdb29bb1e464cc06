using System.CommandLine;
using PartialLoRA.Adapters.Benchmarks;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora adapters bench</c>: what compact storage of Partial-LoRA saves, measured.</summary>
public static class AdaptersCommand
{
    public static Command Create()
    {
        var cmd = new Command("adapters", "Adapter library tools.");
        cmd.Subcommands.Add(Bench());
        return cmd;
    }

    private static Command Bench()
    {
        var defaults = new CompactBenchmarkOptions();
        var dim = new Option<int>("--dim") { Description = "Width d of each d×d layer.", DefaultValueFactory = _ => defaults.Dim };
        var layers = new Option<int>("--layers") { Description = "Number of layers.", DefaultValueFactory = _ => defaults.Layers };
        var rank = new Option<int>("--rank") { Description = "LoRA rank r.", DefaultValueFactory = _ => defaults.Rank };
        var rowRatio = new Option<double>("--row-ratio") { Description = "p_row of Eq. 6 (fraction of rows of B trained).", DefaultValueFactory = _ => defaults.RowRatio };
        var colRatio = new Option<double>("--col-ratio") { Description = "p_col of Eq. 6 (fraction of columns of A trained).", DefaultValueFactory = _ => defaults.ColRatio };
        var tokens = new Option<int>("--tokens") { Description = "Rows of the input batch.", DefaultValueFactory = _ => defaults.Tokens };
        var steps = new Option<int>("--steps") { Description = $"Timed AdamW steps (after {CompactStorageBenchmark.Warmup} warm-up steps).", DefaultValueFactory = _ => defaults.Steps };
        var cmd = new Command("bench", "Unmasked LoRA vs dense-masked vs compact Partial-LoRA on a stack of d×d layers: trained entries, stored elements (AdamW state is 2× this), saved adapter size, ms per training step.");
        foreach (var o in new Option[] { dim, layers, rank, rowRatio, colRatio, tokens, steps }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var state = CliApp.StartRuntime(parse);
            var options = new CompactBenchmarkOptions
            {
                Dim = parse.GetValue(dim), Layers = parse.GetValue(layers), Rank = parse.GetValue(rank),
                RowRatio = parse.GetValue(rowRatio), ColRatio = parse.GetValue(colRatio), Tokens = parse.GetValue(tokens), Steps = parse.GetValue(steps),
            };
            var r = CompactStorageBenchmark.Run(options, state.Device);
            Console.WriteLine($"device {r.Device}; {options.Layers} layers of {options.Dim}×{options.Dim}, r = {options.Rank}, p_row = {options.RowRatio}, p_col = {options.ColRatio}, {options.Tokens} tokens, median of {options.Steps} steps");
            Console.WriteLine($"{"form",-22} {"trained",12} {"stored",12} {"PEFT file B",12} {"compact file B",15} {"ms/step",9}");
            foreach (var row in r.Rows)
                Console.WriteLine($"{row.Form,-22} {row.TrainedEntries,12:N0} {row.StoredElements,12:N0} {row.SavedBytes,12:N0} {(row.CompactFileBytes is { } c ? c.ToString("N0") : "-"),15} {row.MillisecondsPerStep,9:F2}");
            Console.WriteLine($"dense vs compact outputs: max |diff| = {r.DenseVsCompactMaxAbsDiff:E2}");
            return 0;
        }));
        return cmd;
    }
}
