using System.Security.Cryptography;
using System.Text;

namespace PartialLoRA.Data.Images;

/// <summary>Short SHA-256 fingerprints of where data came from, for cache keys.</summary>
internal static class Fingerprints
{
    /// <summary>Paths, sizes and modification times of files and folders (folders: of their top-level entries).</summary>
    public static string Of(IEnumerable<string> containers)
    {
        var sb = new StringBuilder();
        foreach (var c in containers.Order(StringComparer.Ordinal))
        {
            var path = c.TrimEnd('/');
            sb.Append(path).Append('|');
            if (File.Exists(path))
            {
                var f = new FileInfo(path);
                sb.Append(f.Length).Append('|').Append(f.LastWriteTimeUtc.Ticks);
            }
            else if (Directory.Exists(path))
                foreach (var e in new DirectoryInfo(path).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
                    sb.Append(e.Name).Append(':').Append((e as FileInfo)?.Length).Append(':').Append(e.LastWriteTimeUtc.Ticks).Append(';');
            sb.Append('\n');
        }
        return Hash(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>Of in-memory pixels and labels (their content).</summary>
    public static string Of(byte[] pixels, IReadOnlyList<int> labels)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(pixels);
        foreach (var l in labels) h.AppendData(BitConverter.GetBytes(l));
        return Convert.ToHexStringLower(h.GetHashAndReset())[..16];
    }

    public static string Hash(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data))[..16];
}
