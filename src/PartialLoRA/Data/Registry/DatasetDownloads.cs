using System.Security.Cryptography;

namespace PartialLoRA.Data.Registry;

/// <summary>
/// Fetches a dataset's files from their canonical locations into its folder under the data root with the project's
/// resumable <see cref="Downloader"/> (HTTP Range resume, progress), then checks each file against the MD5 its
/// publisher gives; a mismatch deletes the file and names both sums. Archives are not extracted: the readers read
/// them in place. Files already present and correct are not fetched again.
/// </summary>
public static class DatasetDownloads
{
    /// <summary>Downloads <paramref name="files"/> into <paramref name="folder"/>; returns their paths.</summary>
    public static async Task<IReadOnlyList<string>> FetchAsync(IReadOnlyList<RemoteFile> files, string folder, Downloader downloader,
        CancellationToken ct = default)
    {
        var paths = new List<string>();
        foreach (var f in files)
        {
            var path = await downloader.FetchAsync(new DownloadItem(new Uri(f.Url), f.FileName), folder, ct);
            if (f.Md5 is { } want)
            {
                string got;
                await using (var s = File.OpenRead(path)) got = Convert.ToHexStringLower(await MD5.HashDataAsync(s, ct));
                if (!string.Equals(got, want, StringComparison.OrdinalIgnoreCase))
                {
                    File.Delete(path);
                    throw new InvalidDataException($"download of {f.Url}: md5 is {got}, expected {want}; the file was deleted");
                }
            }
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>Downloads dataset <paramref name="name"/> (or "clip" for CLIP's prompt data) under <paramref name="dataRoot"/>.</summary>
    public static Task<IReadOnlyList<string>> FetchAsync(string name, string dataRoot, Downloader downloader, CancellationToken ct = default)
    {
        if (name.Equals("clip", StringComparison.OrdinalIgnoreCase))
            return FetchAsync(DatasetRegistry.ClipDownloads, Path.Combine(dataRoot, ClipPrompts.Folder), downloader, ct);
        var info = DatasetRegistry.Get(name);
        if (info.Downloads.Count == 0)
            throw new InvalidOperationException($"{info.Name} cannot be downloaded automatically: {info.Manual}");
        return FetchAsync(info.Downloads, Path.Combine(dataRoot, info.Folders[0]), downloader, ct);
    }
}
