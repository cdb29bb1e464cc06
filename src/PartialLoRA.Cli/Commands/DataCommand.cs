using System.CommandLine;
using PartialLoRA.Data;
using PartialLoRA.Data.Registry;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora data list|show|download</c>: the dataset registry, what is present, and fetching files.</summary>
public static class DataCommand
{
    /// <summary>The data root flag (over $PARTIALLORA_DATA and ./data); verbs that read datasets add it.</summary>
    public static Option<string?> CreateDataOption() => new("--data")
    {
        Description = $"Data root (default: ${DataRoot.Variable}, else ./{DataRoot.Default}).",
    };

    public static Command Create()
    {
        var cmd = new Command("data", "Datasets: list the registry, show what is present, download files.");
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Show());
        cmd.Subcommands.Add(Download());
        return cmd;
    }

    private static Command List()
    {
        var data = CreateDataOption();
        var cmd = new Command("list", "List the registered datasets and whether their files are present under the data root.");
        cmd.Options.Add(data);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var root = DataRoot.Resolve(parse.GetValue(data));
            Console.WriteLine($"data root: {root} ({DataRoot.Describe(parse.GetValue(data))})");
            Console.WriteLine($"{"name",-14} {"classes",7} {"task",-27} {"metric",-21} {"shots",5}  present");
            foreach (var d in DatasetRegistry.All)
            {
                string present;
                try
                {
                    present = DatasetRegistry.Open(d, root).Location;
                }
                catch (DatasetNotFoundException)
                {
                    present = d.Downloads.Count > 0 ? "no (partial-lora data download " + d.Name + ")" : "no (manual: see data show " + d.Name + ")";
                }
                Console.WriteLine($"{d.Name,-14} {d.ClassCount,7} {d.Task,-27} {d.Metric,-21} {(d.PaperShots?.ToString() ?? "2%/5%"),5}  {present}");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Show()
    {
        var data = CreateDataOption();
        var name = new Argument<string>("name") { Description = "Dataset name (see data list)." };
        var cmd = new Command("show", "Show a dataset's layouts, download locations, and its split sizes when present.");
        cmd.Arguments.Add(name);
        cmd.Options.Add(data);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var info = DatasetRegistry.Get(parse.GetValue(name)!);
            var root = DataRoot.Resolve(parse.GetValue(data));
            Console.WriteLine($"{info.Title} ({info.Name}): {info.ClassCount} classes, {info.Task}, metric {info.Metric}");
            Console.WriteLine($"folders: {string.Join(", ", info.Folders.Select(f => Path.Combine(root, f)).Concat(info.SystemFolders))}");
            foreach (var l in info.Layouts) Console.WriteLine($"layout:  {l}");
            foreach (var f in info.Downloads) Console.WriteLine($"source:  {f.Url}{(f.Md5 != null ? $" (md5 {f.Md5})" : "")}");
            if (info.Manual != null) Console.WriteLine($"manual:  {info.Manual}");
            Console.WriteLine($"few-shot pool: {string.Join(" + ", info.PoolSplits)}; test: {info.TestSplit}");
            foreach (var split in info.Splits)
            {
                try
                {
                    var count = info.IsImage ? DatasetRegistry.ReadImages(info.Name, split, root).Count : DatasetRegistry.ReadGlue(info.Name, split, root).Count;
                    Console.WriteLine($"split {split,-10} {count,8} examples");
                }
                catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
                {
                    Console.WriteLine($"split {split,-10} not available: {e.Message.ReplaceLineEndings(" ")}");
                    if (e is DatasetNotFoundException) break;
                }
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Download()
    {
        var data = CreateDataOption();
        var names = new Argument<string[]>("names") { Description = "Datasets to download (see data list), or 'clip' for CLIP's class names and prompts.", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("download", "Download datasets from their canonical locations into the data root (resumable, checksum-verified; archives are read in place).");
        cmd.Arguments.Add(names);
        cmd.Options.Add(data);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var root = DataRoot.Resolve(parse.GetValue(data));
            var progress = new ConsoleProgress();
            var downloader = new Downloader(progress: progress);
            foreach (var n in parse.GetValue(names)!)
            {
                var paths = DatasetDownloads.FetchAsync(n, root, downloader).GetAwaiter().GetResult();
                progress.Done();
                foreach (var p in paths) Console.WriteLine($"{n}: {p}");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>A one-line progress display on stderr when it is a terminal; silent otherwise.</summary>
    private sealed class ConsoleProgress : IProgress<DownloadProgress>
    {
        private readonly bool live = !Console.IsErrorRedirected;
        private DateTime last;

        public void Report(DownloadProgress p)
        {
            if (!live || (DateTime.UtcNow - last).TotalMilliseconds < 200) return;
            last = DateTime.UtcNow;
            var total = p.Total is { } t ? $" / {t / 1e6:F1} MB ({100.0 * p.Received / t:F0}%)" : "";
            Console.Error.Write($"\r{p.FileName}: {p.Received / 1e6:F1} MB{total}   ");
        }

        public void Done()
        {
            if (live) Console.Error.WriteLine();
        }
    }
}
