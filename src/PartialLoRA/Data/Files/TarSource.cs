using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;

namespace PartialLoRA.Data.Files;

/// <summary>
/// A tar archive, gzip-compressed or not (detected from the magic bytes, not the name), read in place and never
/// extracted. A tar.gz has no index, so listing decompresses it once; small non-image members (CSV, TXT, MAT…)
/// are kept in memory during that pass, and images are read by one more streaming pass (<see cref="ReadMany"/>).
/// A truncated or corrupt archive fails with the archive and the last good entry named; for gzip the stream's
/// length is checked against the ISIZE trailer, because a cut that only loses the trailer reads without error.
/// </summary>
internal sealed class TarSource(string path) : IFileSource
{
    /// <summary>Members up to this size that are not images are kept in memory while listing.</summary>
    public const long KeepInMemoryBelow = 8 << 20;

    private readonly Dictionary<string, byte[]> kept = new(StringComparer.Ordinal);
    private List<FileEntry>? listed;

    public string Location { get; } = Path.GetFullPath(path);

    public IReadOnlyList<FileEntry> List()
    {
        if (listed != null) return listed;
        var list = new List<FileEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Scan((entry, name, data) =>
        {
            if (!seen.Add(name)) return true;   // tar allows a later duplicate; the first one wins, as with extraction order
            list.Add(new FileEntry(name, entry.Length, Location));
            if (entry.Length <= KeepInMemoryBelow && !EntryPath.IsImage(name) && data != null)
                kept[name] = ReadAll(data, entry.Length, name);
            return true;
        });
        return listed = list;
    }

    public byte[] Read(FileEntry entry)
    {
        List();
        if (kept.TryGetValue(entry.Path, out var b)) return b;
        byte[]? found = null;
        Scan((e, name, data) =>
        {
            if (name != entry.Path) return true;
            found = ReadAll(data!, e.Length, name);
            return false;
        });
        return found ?? throw new FileNotFoundException($"{entry.Describe()}: not in the archive");
    }

    public void ReadMany(IReadOnlyList<FileEntry> entries, Action<int, byte[]> consume, int parallelism, CancellationToken ct)
    {
        var want = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++)
        {
            if (!want.TryGetValue(entries[i].Path, out var l)) want[entries[i].Path] = l = [];
            l.Add(i);
        }
        using var queue = new BlockingCollection<(int, byte[])>(boundedCapacity: 1024);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workers = Enumerable.Range(0, Math.Max(1, parallelism)).Select(_ => Task.Run(() =>
        {
            try
            {
                foreach (var (i, bytes) in queue.GetConsumingEnumerable(cts.Token)) consume(i, bytes);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested) { }
            catch
            {
                cts.Cancel();
                throw;
            }
        })).ToArray();
        Exception? scanError = null;
        try
        {
            var left = want.Count;
            Scan((e, name, data) =>
            {
                if (!want.Remove(name, out var slots)) return true;
                var bytes = kept.TryGetValue(name, out var k) ? k : ReadAll(data!, e.Length, name);
                foreach (var i in slots) queue.Add((i, bytes), cts.Token);
                return --left > 0;
            }, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // a worker failed: its exception is rethrown below
        }
        catch (Exception e)
        {
            scanError = e;   // stop the workers before the caller frees what they write into
            cts.Cancel();
        }
        finally
        {
            queue.CompleteAdding();
        }
        try
        {
            Task.WaitAll(workers);
        }
        catch (AggregateException) when (scanError != null)
        {
        }
        if (scanError != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(scanError);
        ct.ThrowIfCancellationRequested();
        if (want.Count > 0)
            throw new FileNotFoundException($"{Location}: {want.Count} requested entries are not in the archive, e.g. '{want.Keys.First()}'");
    }

    private static byte[] ReadAll(Stream data, long length, string name)
    {
        var buf = new byte[checked((int)length)];
        data.ReadExactly(buf);
        return buf;
    }

    /// <summary>Streams the archive, calling <paramref name="visit"/> for each regular file until it returns false.</summary>
    private void Scan(Func<TarEntry, string, Stream?, bool> visit, CancellationToken ct = default)
    {
        string? last = null;
        int count = 0;
        try
        {
            using var fs = new FileStream(Location, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var gz = IsGzip(fs);
            using var counted = new CountingStream(gz ? new GZipStream(fs, CompressionMode.Decompress, leaveOpen: true) : fs);
            using var reader = new TarReader(counted);
            TarEntry? e;
            while ((e = reader.GetNextEntry()) != null)
            {
                ct.ThrowIfCancellationRequested();
                if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)) continue;
                var name = EntryPath.Normalize(e.Name);
                if (name == null) continue;
                count++;
                if (!visit(e, name, e.DataStream ?? Stream.Null)) return;
                last = name;
            }
            if (gz) CheckGzipLength(fs, counted);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or FormatException or IOException && ex is not FileNotFoundException)
        {
            var after = last == null ? "before the first entry" : $"after entry '{last}' ({count} entries read)";
            throw new InvalidDataException($"{Location}: truncated or corrupt archive {after}: {ex.Message}", ex);
        }
    }

    private static bool IsGzip(FileStream fs)
    {
        Span<byte> magic = stackalloc byte[2];
        var n = fs.Read(magic);
        fs.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>The gzip trailer ends with ISIZE, the uncompressed length mod 2^32 (RFC 1952).</summary>
    private static void CheckGzipLength(FileStream fs, CountingStream counted)
    {
        counted.CopyTo(Stream.Null);   // the padding after the tar end marker
        if (fs.Length < 18) throw new EndOfStreamException("the gzip stream is shorter than its header and trailer");
        Span<byte> tail = stackalloc byte[4];
        fs.Position = fs.Length - 4;
        fs.ReadExactly(tail);
        var isize = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (isize != (uint)counted.BytesRead)
            throw new EndOfStreamException($"the gzip trailer says {isize} uncompressed bytes (mod 2^32) but {counted.BytesRead} were read: the file is cut short");
    }

    public void Dispose() { }

    /// <summary>Counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));
        private int Count(int n) { BytesRead += n; return n; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
