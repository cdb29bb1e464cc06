using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PartialLoRA.Hub;

/// <summary>A file of a hub repository, with its size and SHA-256 when the hub publishes them (LFS files).</summary>
public sealed record HubFile(string Path, long? Size = null, string? Sha256 = null);

/// <summary>
/// Downloads model files from the Hugging Face hub (or any server with its URL scheme) into a local cache:
/// <list type="bullet">
/// <item>file URL: <c>{endpoint}/{repo_id}/resolve/{revision}/{path}</c>; endpoint from <c>HF_ENDPOINT</c>, default
/// https://huggingface.co; gated repositories (LLaMA-2) need <c>HF_TOKEN</c>, sent as a bearer token;</item>
/// <item>file list with sizes and LFS SHA-256: <c>{endpoint}/api/models/{repo_id}/tree/{revision}?recursive=true</c>;</item>
/// <item>cache: <c>{cache}/models--{org}--{name}/{revision}/{path}</c>, cache root = <c>PARTIALLORA_HUB_CACHE</c>, else
/// <c>$XDG_CACHE_HOME/partiallora/hub</c>, else <c>~/.cache/partiallora/hub</c>; a revision folder is a ready-to-load
/// HF model folder;</item>
/// <item>downloads resume from <c>{file}.part</c> (HTTP Range), are checked against the size and SHA-256 before being
/// renamed into place, and report progress (<see cref="Downloader"/>); a verified cached file is not fetched again;</item>
/// <item>offline (<c>HF_HUB_OFFLINE=1</c> or the constructor flag): only the cache is used, and a missing file is an
/// error naming the file, the folder it was expected in and the URL to fetch it from.</item>
/// </list>
/// </summary>
public sealed class HubClient
{
    public const string DefaultEndpoint = "https://huggingface.co";
    public const string EndpointVariable = "HF_ENDPOINT";
    public const string TokenVariable = "HF_TOKEN";
    public const string OfflineVariable = "HF_HUB_OFFLINE";
    public const string CacheVariable = "PARTIALLORA_HUB_CACHE";

    /// <summary>What <see cref="DownloadModelAsync"/> fetches by default: config, weights and tokenizer files.</summary>
    public static readonly IReadOnlyList<string> ModelFilePatterns =
    [
        "config.json", "*.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json",
        "special_tokens_map.json", "vocab.json", "merges.txt", "vocab.txt", "spm.model", "tokenizer.model",
        "preprocessor_config.json",
    ];

    private static readonly Regex RepoIdPattern = new(@"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$", RegexOptions.Compiled);

    private readonly HttpClient http;
    private readonly IProgress<DownloadProgress>? progress;

    public string Endpoint { get; }
    public string CacheRoot { get; }
    public bool Offline { get; }

    public HubClient(string? endpoint = null, string? cacheRoot = null, bool? offline = null, string? token = null,
        HttpClient? http = null, IProgress<DownloadProgress>? progress = null)
    {
        Endpoint = (endpoint ?? Env(EndpointVariable) ?? DefaultEndpoint).TrimEnd('/');
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
            throw new ArgumentException($"hub endpoint '{Endpoint}' (from {(endpoint is null ? EndpointVariable : "the argument")}) is not an http(s) URL");
        CacheRoot = cacheRoot ?? DefaultCacheRoot();
        Offline = offline ?? Env(OfflineVariable) is "1" or "true" or "TRUE" or "yes";
        this.http = http ?? CreateHttpClient(token ?? Env(TokenVariable));
        this.progress = progress;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    public static string DefaultCacheRoot()
    {
        if (Env(CacheVariable) is { } c) return c;
        var xdg = Env("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(xdg, "partiallora", "hub");
    }

    /// <summary>An HttpClient without timeout (large files), sending <paramref name="token"/> as a bearer token when given.</summary>
    public static HttpClient CreateHttpClient(string? token)
    {
        var c = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        c.DefaultRequestHeaders.UserAgent.ParseAdd("partial-lora/1.0");
        return c;
    }

    public static void ValidateRepoId(string repoId)
    {
        if (!RepoIdPattern.IsMatch(repoId) || repoId.Contains(".."))
            throw new ArgumentException($"'{repoId}' is not a hub repository id (expected 'org/name', e.g. microsoft/deberta-v3-base)");
    }

    private static void ValidatePath(string path)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\\') || path.Split('/').Any(s => s is "" or "." or ".."))
            throw new ArgumentException($"'{path}' is not a file path inside a repository");
    }

    private static void ValidateRevision(string revision)
    {
        if (revision.Length == 0 || revision.Split('/').Any(s => s is "" or "." or ".."))
            throw new ArgumentException($"'{revision}' is not a revision (a branch, tag or commit)");
    }

    /// <summary>The URL of one file: <c>{endpoint}/{repo_id}/resolve/{revision}/{path}</c>.</summary>
    public Uri FileUrl(string repoId, string path, string revision = "main")
    {
        ValidateRepoId(repoId);
        ValidatePath(path);
        ValidateRevision(revision);
        var escaped = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{Endpoint}/{repoId}/resolve/{Uri.EscapeDataString(revision)}/{escaped}");
    }

    /// <summary>The local folder of a repository revision: <c>{cache}/models--{org}--{name}/{revision}</c>.</summary>
    public string SnapshotFolder(string repoId, string revision = "main")
    {
        ValidateRepoId(repoId);
        ValidateRevision(revision);
        return Path.Combine(CacheRoot, "models--" + repoId.Replace("/", "--"), revision.Replace("/", "--"));
    }

    /// <summary>The repository's files with sizes and (for LFS files) SHA-256, from the hub's tree API.</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string repoId, string revision = "main", CancellationToken ct = default)
    {
        ValidateRepoId(repoId);
        ValidateRevision(revision);
        var url = new Uri($"{Endpoint}/api/models/{repoId}/tree/{Uri.EscapeDataString(revision)}?recursive=true");
        if (Offline) throw new InvalidOperationException($"offline ({OfflineVariable}=1): cannot list {repoId} at {url}");
        string json;
        try
        {
            using var resp = await http.GetAsync(url, ct);
            if (!resp.IsSuccessStatusCode)
                throw new HttpRequestException(
                    $"listing {repoId}@{revision} at {url} failed: HTTP {(int)resp.StatusCode} {resp.ReasonPhrase}" +
                    ((int)resp.StatusCode is 401 or 403 ? $" (gated or private repository: accept its licence on the hub and set {TokenVariable})" : ""),
                    null, resp.StatusCode);
            json = await resp.Content.ReadAsStringAsync(ct);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new HttpRequestException($"could not reach {url}: {e.Message}. Without network access, download the files elsewhere and put them into {SnapshotFolder(repoId, revision)}", e);
        }
        return ParseTree(json, url.ToString());
    }

    /// <summary>Files of a hub tree listing (directories skipped; LFS size and SHA-256 preferred).</summary>
    public static IReadOnlyList<HubFile> ParseTree(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: expected a JSON array of tree entries");
            var files = new List<HubFile>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.TryGetProperty("type", out var t) && t.GetString() != "file") continue;
                var path = e.GetProperty("path").GetString() ?? throw new InvalidDataException($"{source}: entry without path");
                long? size = e.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : null;
                string? sha = null;
                if (e.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    if (lfs.TryGetProperty("oid", out var oid)) sha = oid.GetString();
                    if (lfs.TryGetProperty("size", out var ls) && ls.ValueKind == JsonValueKind.Number) size = ls.GetInt64();
                }
                files.Add(new HubFile(path, size, sha));
            }
            return files;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: not a hub tree listing: {e.Message}");
        }
    }

    /// <summary>
    /// The local path of one repository file, downloading (or resuming) it unless a verified copy is cached.
    /// Offline, a missing file is an error naming the file, the folder and the URL.
    /// </summary>
    /// <param name="folder">Where the repository's files go; default <see cref="SnapshotFolder"/>.</param>
    public async Task<string> DownloadFileAsync(string repoId, HubFile file, string revision = "main", string? folder = null, CancellationToken ct = default)
    {
        var url = FileUrl(repoId, file.Path, revision);
        folder ??= SnapshotFolder(repoId, revision);
        var local = Path.Combine(folder, file.Path.Replace('/', Path.DirectorySeparatorChar));
        var dir = Path.GetDirectoryName(local)!;
        var item = new DownloadItem(url, Path.GetFileName(local), file.Size, file.Sha256);
        if (Offline)
        {
            if (File.Exists(local) && await Downloader.VerifyAsync(local, item, ct) is null) return local;
            throw new FileNotFoundException(
                $"offline ({OfflineVariable}=1): {file.Path} of {repoId}@{revision} is not in {dir}" +
                (File.Exists(local) ? " (the cached copy fails verification)" : "") +
                $"; fetch {url} where there is internet and put it there", local);
        }
        return await new Downloader(http, progress).FetchAsync(item, dir, ct);
    }

    /// <summary>
    /// Downloads the files of <paramref name="repoId"/> matching <paramref name="patterns"/> (default
    /// <see cref="ModelFilePatterns"/>) into <paramref name="folder"/> (default the cache's <see cref="SnapshotFolder"/>)
    /// and returns that folder. Offline, returns the folder when it already holds config.json, else fails saying what
    /// is missing.
    /// </summary>
    public async Task<string> DownloadModelAsync(string repoId, string revision = "main", IReadOnlyList<string>? patterns = null,
        string? folder = null, CancellationToken ct = default)
    {
        folder ??= SnapshotFolder(repoId, revision);
        if (Offline)
        {
            await DownloadFileAsync(repoId, new HubFile("config.json"), revision, folder, ct);
            return folder;
        }
        patterns ??= ModelFilePatterns;
        var files = (await ListFilesAsync(repoId, revision, ct)).Where(f => patterns.Any(p => Matches(f.Path, p))).ToList();
        if (!files.Any(f => f.Path == "config.json"))
            throw new InvalidDataException($"{repoId}@{revision}: no config.json among the files matching {string.Join(", ", patterns)}; is it a transformers model?");
        foreach (var f in files) await DownloadFileAsync(repoId, f, revision, folder, ct);
        return folder;
    }

    /// <summary>Glob match on the file name, or on the whole path when the pattern has a '/': '*' is any run of characters.</summary>
    public static bool Matches(string path, string pattern)
    {
        var subject = pattern.Contains('/') ? path : path[(path.LastIndexOf('/') + 1)..];
        var regex = "^" + Regex.Escape(pattern).Replace(@"\*", ".*") + "$";
        return Regex.IsMatch(subject, regex);
    }
}
