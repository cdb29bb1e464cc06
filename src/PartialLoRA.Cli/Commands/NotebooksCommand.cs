using System.CommandLine;
using System.Globalization;
using PartialLoRA.Notebooks;
using PartialLoRA.Notebooks.Authoring;
using PartialLoRA.Notebooks.Execution;
using PartialLoRA.Notebooks.Report;
using TorchSharp;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// <c>partial-lora notebooks run|list|build</c>: the project's own headless notebook executor (Polyglot Notebooks
/// is deprecated upstream), the list of notebooks, and building notebooks from their Markdown sources.
/// </summary>
public static class NotebooksCommand
{
    public const string DataVariable = "PARTIALLORA_DATA";
    public const string ResultsVariable = "PARTIALLORA_RESULTS";

    public static Command Create()
    {
        var cmd = new Command("notebooks", "Run, list and build the C# notebooks that reproduce the paper (notebooks/*.ipynb).");
        cmd.Subcommands.Add(Run());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Build());
        return cmd;
    }

    private static Option<string> DirOption() => new("--dir")
    {
        Description = "Folder holding the notebooks.",
        DefaultValueFactory = _ => "notebooks",
    };

    private static Command Run()
    {
        var names = new Argument<string[]>("names")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "Notebooks to run: file names or prefixes (\"03\" runs 03-*.ipynb). Default: all.",
        };
        var profile = new Option<string>("--profile")
        {
            Description = "smoke (CPU, minutes, lab backbones, few runs), lab (full protocol on lab backbones; GPU) or paper (paper models and data; user-supplied weights).",
            DefaultValueFactory = _ => "smoke",
        };
        profile.AcceptOnlyFromAmong("smoke", "lab", "paper");
        var dir = DirOption();
        var outDir = new Option<string?>("--out") { Description = "Where executed notebooks and report.html go. Default: <dir>/out." };
        var inPlace = new Option<bool>("--in-place") { Description = "Write executed notebooks back over their sources (to commit them with outputs); report.html still goes to --out." };
        var timeout = new Option<double?>("--timeout") { Description = "Per-cell time limit in seconds. Default: 600 (smoke), 86400 (lab, paper)." };
        var seed = new Option<int>("--seed") { Description = "Seed given to the notebooks (and Torch's default generator).", DefaultValueFactory = _ => 42 };
        var data = new Option<string?>("--data") { Description = $"Data root. Default: ${DataVariable} or ./data." };
        var results = new Option<string?>("--results") { Description = $"Results store of the experiment engine. Default: ${ResultsVariable} or ./results." };
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.html." };
        var cancelGrace = new Option<double?>("--cancel-grace")
        {
            Description = $"After a cell's timeout, seconds to wait for it to stop on cancellation before leaving it running and going on. Default: {ExecutorOptions.DefaultCancelGrace.TotalSeconds:F0}.",
        };
        var noPlotlyJs = new Option<bool>("--no-plotlyjs") { Description = "Do not inline plotly.js (3.5 MB) in executed notebooks: figures keep their PNG (the report stays interactive)." };

        var cmd = new Command("run", "Execute notebooks headless: cells in order in one C# scripting state; writes executed .ipynb files and one report.html. Exits 1 if any cell fails.");
        cmd.Arguments.Add(names);
        foreach (var o in new Option[] { profile, dir, outDir, inPlace, timeout, cancelGrace, seed, data, results, noReport, noPlotlyJs }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var folder = parse.GetValue(dir)!;
            var paths = NotebookCatalog.Select(folder, parse.GetValue(names) ?? []);
            if (paths.Count == 0) throw new ArgumentException($"no notebooks in {Path.GetFullPath(folder)}");
            var t = parse.GetValue(timeout);
            if (t is <= 0) throw new ArgumentException($"--timeout {t}: expected a positive number of seconds");
            var grace = parse.GetValue(cancelGrace);
            if (grace is < 0) throw new ArgumentException($"--cancel-grace {grace}: expected zero or a positive number of seconds");
            var prof = NotebookProfiles.Parse(parse.GetValue(profile)!, "--profile");
            var output = Path.GetFullPath(parse.GetValue(outDir) ?? Path.Combine(folder, "out"));
            var state = CliApp.StartRuntime(parse);
            var verbose = parse.GetValue(CliApp.VerboseOption);
            var options = new ExecutorOptions
            {
                Profile = prof,
                DataRoot = Path.GetFullPath(parse.GetValue(data) ?? NonEmpty(Environment.GetEnvironmentVariable(DataVariable)) ?? "data"),
                ResultsDir = Path.GetFullPath(parse.GetValue(results) ?? NonEmpty(Environment.GetEnvironmentVariable(ResultsVariable)) ?? "results"),
                OutputDir = output,
                Seed = parse.GetValue(seed),
                CellTimeout = t is { } s ? TimeSpan.FromSeconds(s) : null,
                CancelGrace = grace is { } g ? TimeSpan.FromSeconds(g) : ExecutorOptions.DefaultCancelGrace,
                EmbedPlotlyJs = !parse.GetValue(noPlotlyJs),
                Progress = verbose ? Console.WriteLine : null,
            };
            Console.WriteLine($"running {paths.Count} notebook{(paths.Count == 1 ? "" : "s")} ({prof.Name()} profile, {state.Device}, seed {options.Seed}, cell limit {options.EffectiveCellTimeout.TotalSeconds:F0} s)");
            var info = new RunInfo(prof.Name(), options.Seed, state.Device.ToString(), "partial-lora " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)))
            {
                Threads = state.Device.type == DeviceType.CPU ? state.Threads : null,
            };
            var batch = NotebookBatch.Run(new NotebookExecutor(options), new BatchOptions(paths, output, parse.GetValue(inPlace), info, !parse.GetValue(noReport)), r =>
            {
                var status = r.Status switch { NotebookStatus.Passed => "PASS", NotebookStatus.Failed => "FAIL", _ => "SKIP" };
                var why = r.Failure != null ? "  " + r.Failure.Describe(r.Name) : r.SkipReason != null ? "  " + r.SkipReason : "";
                Console.WriteLine($"{status}  {r.Name}  {r.CellsRun}/{r.CodeCells} code cells  {r.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s{why}");
            });
            var failed = batch.Runs.Count(r => r.Status == NotebookStatus.Failed);
            Console.WriteLine($"{batch.Runs.Count} notebook{(batch.Runs.Count == 1 ? "" : "s")}: {batch.Runs.Count(r => r.Status == NotebookStatus.Passed)} passed, {failed} failed, " +
                              $"{batch.Runs.Count(r => r.Status == NotebookStatus.Skipped)} skipped; executed notebooks in {(parse.GetValue(inPlace) ? "place" : output)}" +
                              (batch.ReportPath != null ? $"; report {batch.ReportPath}" : ""));
            foreach (var r in batch.Runs.Where(r => r.Failure != null))
                Console.Error.WriteLine($"error: {r.Failure!.Describe(r.Name)}");
            return ProcessExit.AfterRun(failed > 0 ? 1 : 0);
        }));
        return cmd;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static Command List()
    {
        var dir = DirOption();
        var cmd = new Command("list", "List the notebooks: name, paper element, title, code cells.");
        cmd.Options.Add(dir);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            foreach (var path in NotebookCatalog.List(parse.GetValue(dir)!))
            {
                var nb = Notebook.Load(path);
                var paper = (string?)nb.Metadata[NotebookBuilder.MetadataKey]?["paper"] ?? "";
                var title = nb.Cells.Where(c => c.Type == CellType.Markdown).SelectMany(c => c.Source.Split('\n'))
                    .FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#').Trim() ?? "";
                Console.WriteLine($"{Path.GetFileNameWithoutExtension(path),-32} {paper,-18} {nb.CodeCells.Count(),3} code cells  {title}");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Build()
    {
        var names = new Argument<string[]>("names") { Arity = ArgumentArity.ZeroOrMore, Description = "Sources to build (file names or prefixes). Default: all." };
        var dir = DirOption();
        var src = new Option<string?>("--src") { Description = "Folder of the Markdown sources. Default: <dir>/src." };
        var check = new Option<bool>("--check") { Description = "Write nothing; exit 1 if a notebook's cells differ from its source." };
        var cmd = new Command("build", "Build notebooks from their Markdown sources (<dir>/src/NAME.md → <dir>/NAME.ipynb; ```csharp fences become code cells). A notebook whose cells already match keeps its outputs.");
        cmd.Arguments.Add(names);
        cmd.Options.Add(dir);
        cmd.Options.Add(src);
        cmd.Options.Add(check);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var folder = parse.GetValue(dir)!;
            var srcDir = parse.GetValue(src) ?? Path.Combine(folder, "src");
            if (!Directory.Exists(srcDir)) throw new DirectoryNotFoundException($"source folder '{Path.GetFullPath(srcDir)}' does not exist");
            var sources = Directory.GetFiles(srcDir, "*.md").Order(StringComparer.Ordinal).ToList();
            var wanted = parse.GetValue(names) ?? [];
            if (wanted.Length > 0)
                sources = sources.Where(s => wanted.Any(w => Path.GetFileNameWithoutExtension(s).StartsWith(w.Replace(".md", ""), StringComparison.Ordinal))).ToList();
            if (sources.Count == 0) throw new ArgumentException($"no matching .md sources in {Path.GetFullPath(srcDir)}");
            var stale = 0;
            foreach (var s in sources)
            {
                var built = NotebookSource.Load(s).Build();
                var target = Path.Combine(folder, Path.GetFileNameWithoutExtension(s) + ".ipynb");
                var same = File.Exists(target) && NotebookInputs.Same(Notebook.Load(target), built);
                if (same) { Console.WriteLine($"up to date  {target}"); continue; }
                stale++;
                if (parse.GetValue(check)) Console.WriteLine($"STALE       {target} (differs from {s})");
                else
                {
                    built.Save(target);
                    Console.WriteLine($"built       {target}");
                }
            }
            return parse.GetValue(check) && stale > 0 ? 1 : 0;
        }));
        return cmd;
    }
}
