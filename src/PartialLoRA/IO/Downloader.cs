using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace PartialLoRA;

/// <summary>A file to fetch: where from, the name to store it under, and what it must be.</summary>
/// <param name="Size">Expected size in bytes, when known.</param>
/// <param name="Sha256">Expected SHA-256 (hex), when known.</param>
public sealed record DownloadItem(Uri Url, string FileName, long? Size = null, string? Sha256 = null);

/// <summary>Progress of one download: bytes received so far (including a resumed part) of the total, when known.</summary>
public sealed record DownloadProgress(string FileName, long Received, long? Total);

/// <summary>
/// Resumable HTTP downloads into a cache folder. A file is fetched into <c>name.part</c>; an interrupted download
/// resumes with an HTTP Range request; the result is checked against the expected size and SHA-256 before it is
/// renamed into place, so the cache never holds a partial or wrong file under its real name. A file already in
/// the cache that passes the checks is not fetched again.
/// </summary>
public sealed class Downloader(HttpClient? client = null, IProgress<DownloadProgress>? progress = null)
{
    private static readonly Lazy<HttpClient> Shared = new(() => new HttpClient { Timeout = Timeout.InfiniteTimeSpan });
    private readonly HttpClient http = client ?? Shared.Value;

    /// <summary>Returns the path of the verified file in <paramref name="folder"/>, downloading or resuming as needed.</summary>
    public async Task<string> FetchAsync(DownloadItem item, string folder, CancellationToken ct = default)
    {
        if (item.FileName.Contains('/') || item.FileName.Contains('\\') || item.FileName is "" or "." or "..")
            throw new ArgumentException($"download of {item.Url}: file name '{item.FileName}' must be a plain file name");
        Directory.CreateDirectory(folder);
        var dest = Path.Combine(folder, item.FileName);
        if (File.Exists(dest))
        {
            if (await VerifyAsync(dest, item, ct) is null) return dest;
            File.Delete(dest);   // a stale or corrupt cache entry: fetch again
        }
        var part = dest + ".part";
        for (int attempt = 0; ; attempt++)
        {
            var start = File.Exists(part) ? new FileInfo(part).Length : 0;
            if (item.Size is { } size && start > size) { File.Delete(part); start = 0; }
            try
            {
                await FetchPartAsync(item, part, start, ct);
                break;
            }
            catch (HttpRequestException e) when (attempt < 2 && e.StatusCode is null)
            {
                // connection dropped mid-transfer: retry, resuming from what arrived
            }
            catch (HttpRequestException e)
            {
                throw new HttpRequestException(
                    $"could not download {item.Url}: {e.Message}. Without network access, put {item.FileName}" +
                    $"{Expect(item)} into {folder} yourself.", e, e.StatusCode);
            }
            catch (IOException) when (attempt < 2)
            {
            }
        }
        if (await VerifyAsync(part, item, ct) is { } why)
        {
            File.Delete(part);
            throw new InvalidDataException($"download of {item.Url}: {why}; the partial file was deleted");
        }
        File.Move(part, dest, overwrite: true);
        return dest;
    }

    private async Task FetchPartAsync(DownloadItem item, string part, long start, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, item.Url);
        if (start > 0) req.Headers.Range = new RangeHeaderValue(start, null);
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
        if (resp.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && start > 0) return;   // already complete
        if (!resp.IsSuccessStatusCode)
            throw new HttpRequestException($"HTTP {(int)resp.StatusCode} {resp.ReasonPhrase}", null, resp.StatusCode);
        var append = start > 0 && resp.StatusCode == HttpStatusCode.PartialContent;
        if (!append) start = 0;   // the server ignored the range: start over
        long? total = resp.Content.Headers.ContentLength is { } len ? start + len : item.Size;
        await using var src = await resp.Content.ReadAsStreamAsync(ct);
        await using var dst = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var buf = new byte[1 << 16];
        long received = start;
        int n;
        while ((n = await src.ReadAsync(buf, ct)) > 0)
        {
            await dst.WriteAsync(buf.AsMemory(0, n), ct);
            received += n;
            progress?.Report(new DownloadProgress(item.FileName, received, total));
        }
        if (total is { } t && received < t)
            throw new HttpRequestException($"connection closed after {received} of {t} bytes");
    }

    /// <summary>Null when the file matches the expected size and hash, else what is wrong.</summary>
    public static async Task<string?> VerifyAsync(string path, DownloadItem item, CancellationToken ct = default)
    {
        var len = new FileInfo(path).Length;
        if (item.Size is { } size && len != size) return $"size is {len} bytes, expected {size}";
        if (item.Sha256 is { } want)
        {
            await using var fs = File.OpenRead(path);
            var got = Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ct));
            if (!string.Equals(got, want, StringComparison.OrdinalIgnoreCase)) return $"sha256 is {got}, expected {want.ToLowerInvariant()}";
        }
        return null;
    }

    private static string Expect(DownloadItem item) =>
        (item.Size, item.Sha256) switch
        {
            (null, null) => "",
            ({ } s, null) => $" ({s} bytes)",
            (null, { } h) => $" (sha256 {h})",
            ({ } s, { } h) => $" ({s} bytes, sha256 {h})",
        };
}
