using System.CommandLine;
using PartialLoRA.Hub;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora hub download REPO</c>: fetch a model's config, weights and tokenizer files from the Hugging Face hub.</summary>
public static class HubCommand
{
    public static Command Create()
    {
        var repo = new Argument<string>("repo") { Description = "Repository id, e.g. openai/clip-vit-base-patch16, microsoft/deberta-v3-base, meta-llama/Llama-2-7b-hf." };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit.", DefaultValueFactory = _ => "main" };
        var to = new Option<string?>("--to") { Description = $"Folder to put the files in. Default: the cache (${HubClient.CacheVariable}, else ~/.cache/partiallora/hub)." };
        var include = new Option<string[]>("--include")
        {
            Description = $"File patterns ('*' wildcard). Default: {string.Join(" ", HubClient.ModelFilePatterns)}.",
            AllowMultipleArgumentsPerToken = true,
        };
        var offline = new Option<bool>("--offline") { Description = $"Use only files already present (also {HubClient.OfflineVariable}=1)." };
        var download = new Command("download", $"Download a model from the hub (endpoint ${HubClient.EndpointVariable}, token ${HubClient.TokenVariable}); resumable, size/SHA-256 verified.");
        download.Arguments.Add(repo);
        download.Options.Add(revision);
        download.Options.Add(to);
        download.Options.Add(include);
        download.Options.Add(offline);
        download.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var patterns = parse.GetValue(include) is { Length: > 0 } p ? p : null;
            var client = new HubClient(offline: parse.GetValue(offline) ? true : null, progress: new ConsoleProgress());
            var folder = client.DownloadModelAsync(parse.GetValue(repo)!, parse.GetValue(revision)!, patterns, parse.GetValue(to)).GetAwaiter().GetResult();
            Console.Error.WriteLine();
            Console.WriteLine(folder);
            return 0;
        }));
        var hub = new Command("hub", "Hugging Face hub: download models for the model registry (load the folder it prints).");
        hub.Subcommands.Add(download);
        return hub;
    }

    /// <summary>One status line per file on stderr, rewritten in place: name, percent, MB received of total.</summary>
    private sealed class ConsoleProgress : IProgress<DownloadProgress>
    {
        private string? file;
        private long lastPrinted = -1;

        public void Report(DownloadProgress p)
        {
            if (p.FileName != file)
            {
                if (file is not null) Console.Error.WriteLine();
                file = p.FileName;
                lastPrinted = -1;
            }
            if (p.Received - lastPrinted < (1 << 20) && p.Received != p.Total) return;   // at most one line per MiB
            lastPrinted = p.Received;
            var mb = p.Received / 1048576.0;
            var line = p.Total is { } t && t > 0
                ? $"{p.FileName}  {100.0 * p.Received / t,5:F1}%  {mb:F1}/{t / 1048576.0:F1} MB"
                : $"{p.FileName}  {mb:F1} MB";
            Console.Error.Write("\r" + line);
        }
    }
}
