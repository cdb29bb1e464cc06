using System.Security.Cryptography;

namespace PartialLoRA.Tests.IO;

public class DownloaderTests
{
    private static byte[] Payload(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    [Fact]
    public async Task Downloads_verifies_and_reuses_the_cache()
    {
        using var server = new LoopbackHttpServer();
        var data = Payload(300_000, 1);
        var url = server.Add("a/file.bin", data);
        var dir = TestSupport.TempDir("dl");
        var seen = new List<DownloadProgress>();
        var dl = new Downloader(progress: new SyncProgress(seen.Add));
        var item = new DownloadItem(url, "file.bin", data.Length, Sha(data));
        var path = await dl.FetchAsync(item, dir);
        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Equal(data.Length, seen[^1].Received);
        Assert.Equal(data.Length, seen[^1].Total);
        await dl.FetchAsync(item, dir);
        Assert.Single(server.Requests);   // the second call hit the cache
        Assert.Equal(["file.bin"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Resumes_a_dropped_download_with_a_range_request()
    {
        using var server = new LoopbackHttpServer();
        var data = Payload(200_000, 2);
        var url = server.Add("big.bin", data);
        var dir = TestSupport.TempDir("dl");
        server.CutNextAfter = 70_000;
        var path = await new Downloader().FetchAsync(new DownloadItem(url, "big.bin", data.Length, Sha(data)), dir);
        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Equal(2, server.Requests.Count);
        Assert.Matches(@"^/big\.bin bytes=\d+-$", server.Requests[1]);
        Assert.NotEqual("/big.bin bytes=0-", server.Requests[1]);
    }

    [Fact]
    public async Task Resumes_from_a_part_file_left_by_an_earlier_run_and_restarts_when_range_is_ignored()
    {
        using var server = new LoopbackHttpServer();
        var data = Payload(50_000, 3);
        var url = server.Add("x.bin", data);
        var dir = TestSupport.TempDir("dl");
        File.WriteAllBytes(Path.Combine(dir, "x.bin.part"), data[..20_000]);
        await new Downloader().FetchAsync(new DownloadItem(url, "x.bin", data.Length, Sha(data)), dir);
        Assert.Equal("/x.bin bytes=20000-", server.Requests[0]);

        var dir2 = TestSupport.TempDir("dl");
        File.WriteAllBytes(Path.Combine(dir2, "x.bin.part"), data[..20_000]);
        server.IgnoreRange = true;
        var path = await new Downloader().FetchAsync(new DownloadItem(url, "x.bin", data.Length, Sha(data)), dir2);
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Wrong_hash_or_size_deletes_the_download_and_names_both_values()
    {
        using var server = new LoopbackHttpServer();
        var data = Payload(1000, 4);
        var url = server.Add("y.bin", data);
        var dir = TestSupport.TempDir("dl");
        var bad = new string('0', 64);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new Downloader().FetchAsync(new DownloadItem(url, "y.bin", null, bad), dir));
        Assert.Contains(Sha(data), e.Message);
        Assert.Contains(bad, e.Message);
        Assert.Empty(Directory.GetFiles(dir));
        var e2 = await Assert.ThrowsAsync<InvalidDataException>(() => new Downloader().FetchAsync(new DownloadItem(url, "y.bin", 999), dir));
        Assert.Contains("size is 1000 bytes, expected 999", e2.Message);
    }

    [Fact]
    public async Task Missing_file_and_unreachable_server_say_how_to_supply_it()
    {
        using var server = new LoopbackHttpServer();
        var dir = TestSupport.TempDir("dl");
        var e = await Assert.ThrowsAsync<HttpRequestException>(() =>
            new Downloader().FetchAsync(new DownloadItem(new Uri(server.BaseUrl, "nope.bin"), "nope.bin", 10), dir));
        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains("put nope.bin (10 bytes) into", e.Message);
        var dead = new Uri("http://127.0.0.1:9/none.bin");
        var e2 = await Assert.ThrowsAsync<HttpRequestException>(() => new Downloader().FetchAsync(new DownloadItem(dead, "none.bin"), dir));
        Assert.Contains("could not download http://127.0.0.1:9/none.bin", e2.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
