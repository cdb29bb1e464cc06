using System.Security.Cryptography;
using System.Text;
using PartialLoRA.Checkpoints;
using PartialLoRA.Hub;
using PartialLoRA.Models;
using PartialLoRA.Models.Llama;
using PartialLoRA.Tests.Models;
using TorchSharp;

namespace PartialLoRA.Tests.Hub;

/// <summary>The hub client against a fake repository served on loopback with the hub's URL scheme.</summary>
public class HubClientTests
{
    public HubClientTests() => _ = TestSupport.Torch;

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>A tiny LLaMA classifier published as org/tiny-llama@main: config.json, model.safetensors (LFS), a README.</summary>
    private static (LoopbackHttpServer Server, byte[] Weights, byte[] Config) FakeRepo(string revision = "main", bool corrupt = false)
    {
        using var m = new LlamaForSequenceClassification(LlamaModelTests.Tiny, seed: 3);
        var src = TestSupport.TempDir("repo");
        ModelRegistry.Save(m, src);
        var weights = File.ReadAllBytes(Path.Combine(src, "model.safetensors"));
        var config = File.ReadAllBytes(Path.Combine(src, "config.json"));
        var server = new LoopbackHttpServer();
        var tree = $$$"""
            [{"type":"file","path":".gitattributes","size":10,"oid":"aa"},
             {"type":"file","path":"README.md","size":5,"oid":"bb"},
             {"type":"file","path":"config.json","size":{{{config.Length}}},"oid":"cc"},
             {"type":"file","path":"model.safetensors","size":{{{weights.Length}}},"oid":"dd","lfs":{"oid":"{{{Sha(weights)}}}","size":{{{weights.Length}}},"pointerSize":134}},
             {"type":"directory","path":"extras","oid":"ee"},
             {"type":"file","path":"extras/notes.txt","size":3,"oid":"ff"}]
            """;
        var rev = Uri.EscapeDataString(revision);
        server.Add($"api/models/org/tiny-llama/tree/{rev}", Encoding.UTF8.GetBytes(tree));
        server.Add($"org/tiny-llama/resolve/{rev}/config.json", config);
        var served = (byte[])weights.Clone();
        if (corrupt) served[^1] ^= 0xFF;
        server.Add($"org/tiny-llama/resolve/{rev}/model.safetensors", served);
        server.Add($"org/tiny-llama/resolve/{rev}/README.md", "hello"u8.ToArray());
        server.Add($"org/tiny-llama/resolve/{rev}/extras/notes.txt", "abc"u8.ToArray());
        return (server, weights, config);
    }

    [Fact]
    public async Task Downloads_a_model_folder_that_loads_and_reuses_the_cache()
    {
        var (server, weights, _) = FakeRepo();
        using var _s = server;
        var cache = TestSupport.TempDir("cache");
        var seen = new List<DownloadProgress>();
        var hub = new HubClient(endpoint: server.BaseUrl.ToString(), cacheRoot: cache, offline: false, progress: new SyncProgress(seen.Add));
        var folder = await hub.DownloadModelAsync("org/tiny-llama");
        Assert.Equal(Path.Combine(cache, "models--org--tiny-llama", "main"), folder);
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).OrderBy(x => x));
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Contains(seen, p => p.FileName == "model.safetensors" && p.Received == weights.Length && p.Total == weights.Length);
        var (model, report) = ModelRegistry.LoadClassifier(folder);
        Assert.Empty(report.Missing);
        Assert.Equal(2, model.NumClasses);

        var before = server.Requests.Count;
        await hub.DownloadModelAsync("org/tiny-llama");
        Assert.Equal(["/api/models/org/tiny-llama/tree/main"], server.Requests.Skip(before));   // files came from the cache
    }

    [Fact]
    public async Task Include_patterns_subfolders_and_other_revisions()
    {
        var (server, _, config) = FakeRepo("refs/pr/3");
        using var _s = server;
        var hub = new HubClient(endpoint: server.BaseUrl.ToString(), cacheRoot: TestSupport.TempDir("cache"), offline: false);
        var target = TestSupport.TempDir("target");
        var folder = await hub.DownloadModelAsync("org/tiny-llama", "refs/pr/3", ["config.json", "extras/*"], target);
        Assert.Equal(target, folder);
        Assert.Equal(config, File.ReadAllBytes(Path.Combine(target, "config.json")));
        Assert.Equal("abc", File.ReadAllText(Path.Combine(target, "extras", "notes.txt")));
        Assert.False(File.Exists(Path.Combine(target, "model.safetensors")));
        Assert.Contains("/org/tiny-llama/resolve/refs%2Fpr%2F3/config.json", server.Requests);
        Assert.EndsWith(Path.Combine("models--org--tiny-llama", "refs--pr--3"), hub.SnapshotFolder("org/tiny-llama", "refs/pr/3"));
    }

    [Fact]
    public async Task A_corrupt_download_fails_its_sha256_check_and_leaves_nothing()
    {
        var (server, weights, _) = FakeRepo(corrupt: true);
        using var _s = server;
        var cache = TestSupport.TempDir("cache");
        var hub = new HubClient(endpoint: server.BaseUrl.ToString(), cacheRoot: cache, offline: false);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => hub.DownloadModelAsync("org/tiny-llama"));
        Assert.Contains("sha256", e.Message);
        Assert.Contains(Sha(weights), e.Message);
        var folder = hub.SnapshotFolder("org/tiny-llama");
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors.part")));
    }

    [Fact]
    public async Task Offline_uses_the_cache_or_names_the_missing_file_its_folder_and_url()
    {
        var cache = TestSupport.TempDir("cache");
        var hub = new HubClient(endpoint: "https://hub.example", cacheRoot: cache, offline: true);
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => hub.DownloadModelAsync("meta-llama/Llama-2-7b-hf"));
        var folder = Path.Combine(cache, "models--meta-llama--Llama-2-7b-hf", "main");
        Assert.Contains("config.json", e.Message);
        Assert.Contains(folder, e.Message);
        Assert.Contains("https://hub.example/meta-llama/Llama-2-7b-hf/resolve/main/config.json", e.Message);

        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
        Assert.Equal(folder, await hub.DownloadModelAsync("meta-llama/Llama-2-7b-hf"));
        var w = await Assert.ThrowsAsync<FileNotFoundException>(() => hub.DownloadFileAsync("meta-llama/Llama-2-7b-hf", new HubFile("model.safetensors", 10)));
        Assert.Contains("model.safetensors", w.Message);
    }

    [Fact]
    public async Task Unreachable_or_missing_repositories_are_clear_errors()
    {
        using var server = new LoopbackHttpServer();
        var hub = new HubClient(endpoint: server.BaseUrl.ToString(), cacheRoot: TestSupport.TempDir("cache"), offline: false);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => hub.DownloadModelAsync("org/nothing"));
        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains("/api/models/org/nothing/tree/main", e.Message);

        var dead = new HubClient(endpoint: "http://127.0.0.1:9", cacheRoot: TestSupport.TempDir("cache"), offline: false);
        var d = await Assert.ThrowsAsync<HttpRequestException>(() => dead.DownloadFileAsync("org/x", new HubFile("config.json")));
        Assert.Contains("http://127.0.0.1:9/org/x/resolve/main/config.json", d.Message);
        Assert.Contains("config.json", d.Message);

        Assert.Throws<ArgumentException>(() => hub.FileUrl("../etc", "config.json"));
        Assert.Throws<ArgumentException>(() => hub.FileUrl("org/x", "../config.json"));
        Assert.Throws<ArgumentException>(() => new HubClient(endpoint: "ftp://x"));
    }

    [Fact]
    public void Urls_tokens_patterns_and_tree_parsing()
    {
        var hub = new HubClient(endpoint: "https://huggingface.co/", cacheRoot: "/c", offline: true);
        Assert.Equal("https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/config.json",
            hub.FileUrl("openai/clip-vit-base-patch16", "config.json").ToString());
        using var client = HubClient.CreateHttpClient("hf_secret");
        Assert.Equal("Bearer hf_secret", client.DefaultRequestHeaders.Authorization!.ToString());
        Assert.True(HubClient.Matches("model-00001-of-00002.safetensors", "*.safetensors"));
        Assert.True(HubClient.Matches("sub/spm.model", "spm.model"));
        Assert.False(HubClient.Matches("pytorch_model.bin", "*.safetensors"));
        var files = HubClient.ParseTree("""[{"type":"file","path":"a.json","size":3},{"type":"file","path":"w.safetensors","size":134,"lfs":{"oid":"abc","size":999}}]""", "t");
        Assert.Equal(new HubFile("a.json", 3, null), files[0]);
        Assert.Equal(new HubFile("w.safetensors", 999, "abc"), files[1]);
        Assert.Throws<InvalidDataException>(() => HubClient.ParseTree("{}", "t"));
    }

    [Fact]
    public void Cli_downloads_with_HF_ENDPOINT_and_prints_the_folder()
    {
        var (server, weights, _) = FakeRepo();
        using var _s = server;
        var cache = TestSupport.TempDir("clicache");
        var r = TestSupport.RunCli(TestSupport.CliDll, ["hub", "download", "org/tiny-llama"],
            new Dictionary<string, string?> { ["HF_ENDPOINT"] = server.BaseUrl.ToString(), [HubClient.CacheVariable] = cache, ["HF_HUB_OFFLINE"] = null });
        Assert.True(r.ExitCode == 0, r.Stderr);
        var folder = r.Stdout.Trim();
        Assert.Equal(Path.Combine(cache, "models--org--tiny-llama", "main"), folder);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Contains("model.safetensors", r.Stderr);
        Assert.Contains("100.0%", r.Stderr);

        var off = TestSupport.RunCli(TestSupport.CliDll, ["hub", "download", "org/other", "--offline"],
            new Dictionary<string, string?> { ["HF_ENDPOINT"] = server.BaseUrl.ToString(), [HubClient.CacheVariable] = cache });
        Assert.Equal(2, off.ExitCode);
        Assert.StartsWith("error: offline", off.Stderr);
        Assert.Contains("org/other/resolve/main/config.json", off.Stderr);
    }
}

/// <summary>Progress reported synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
{
    public void Report(DownloadProgress value) => report(value);
}
