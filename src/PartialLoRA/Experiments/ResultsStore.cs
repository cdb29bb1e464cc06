using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Experiments;

/// <summary>The runs read from a store's files, each key once.</summary>
/// <param name="Duplicates">Lines dropped because their key was already read (e.g. the same run in two shards' files).</param>
/// <param name="Warnings">Torn last lines skipped, with file and line.</param>
public sealed record StoreContents(IReadOnlyList<RunRecord> Runs, int Duplicates, IReadOnlyList<string> Warnings)
{
    public IReadOnlySet<string> Keys { get; } = Runs.Select(r => r.Key).ToHashSet();
}

/// <summary>
/// The append-only results store: a folder of JSONL files, one line per finished run — <c>results.jsonl</c>
/// for an unsharded sweep, <c>results.shard-III-of-NNN.jsonl</c> per shard, so nodes of a cluster never write
/// the same file. An append rewrites the file through <see cref="AtomicFile"/> (temp file, fsync, rename), so a
/// kill loses at most the run in flight and never leaves a partial line; a torn last line from elsewhere (a
/// truncated copy) is skipped with a warning and dropped on the next append. A corrupt line that is not the
/// last is an error naming file and line. Reading dedupes by key across all files.
/// </summary>
public static class ResultsStore
{
    public const string UnshardedFile = "results.jsonl";

    public static string FileName(Shard? shard) =>
        shard is null ? UnshardedFile : $"results.shard-{shard.Index:D3}-of-{shard.Count:D3}.jsonl";

    /// <summary>The store files in a folder (sorted), or the file itself.</summary>
    public static IReadOnlyList<string> Files(string folderOrFile)
    {
        if (File.Exists(folderOrFile)) return [folderOrFile];
        if (!Directory.Exists(folderOrFile)) return [];
        return Directory.GetFiles(folderOrFile, "results*.jsonl").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Reads every run from the given folders and files, first occurrence of a key wins.</summary>
    public static StoreContents Load(IEnumerable<string> foldersOrFiles)
    {
        var runs = new List<RunRecord>();
        var seen = new HashSet<string>();
        var warnings = new List<string>();
        int duplicates = 0;
        foreach (var source in foldersOrFiles)
            foreach (var file in Files(source))
                foreach (var r in ReadFile(file, warnings))
                    if (seen.Add(r.Key)) runs.Add(r);
                    else duplicates++;
        return new StoreContents(runs, duplicates, warnings);
    }

    public static StoreContents Load(string folderOrFile) => Load([folderOrFile]);

    /// <summary>Writes the deduplicated union of <paramref name="sources"/> to one JSONL file (atomically).</summary>
    public static StoreContents Merge(IEnumerable<string> sources, string output)
    {
        var contents = Load(sources);
        var text = new StringBuilder();
        foreach (var r in contents.Runs.OrderBy(r => r.FinishedAt).ThenBy(r => r.Key, StringComparer.Ordinal))
            text.Append(Line(r));
        AtomicFile.WriteAllText(output, text.ToString());
        return contents;
    }

    public static string Line(RunRecord r) => r.ToJson().ToJsonString(LineOptions) + "\n";

    private static readonly JsonSerializerOptions LineOptions = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static IEnumerable<RunRecord> ReadFile(string file, List<string> warnings)
    {
        var bytes = File.ReadAllBytes(file);
        var text = Encoding.UTF8.GetString(bytes);
        var lines = text.Split('\n');
        bool tornTail = text.Length > 0 && !text.EndsWith('\n');
        var result = new List<RunRecord>();
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0) continue;
            var where = $"{file}:{i + 1}";
            bool last = i == lines.Length - 1;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                if (last && tornTail)
                {
                    warnings.Add($"{where}: incomplete last line skipped (a write was interrupted)");
                    continue;
                }
                throw new SpecException($"{where}: corrupt result line: {e.Message}");
            }
            result.Add(RunRecord.FromJson(node!, where));
        }
        return result;
    }

    /// <summary>Bytes of the file up to its last complete line (a torn tail dropped).</summary>
    internal static byte[] CompleteLines(string file)
    {
        if (!File.Exists(file)) return [];
        var bytes = File.ReadAllBytes(file);
        var end = Array.LastIndexOf(bytes, (byte)'\n');
        return end == bytes.Length - 1 ? bytes : bytes[..(end + 1)];
    }
}

/// <summary>
/// The single writer of one store file. Holds an exclusive lock (<c>.&lt;file&gt;.lock</c>) so a second
/// process on the same shard fails at once instead of interleaving; the lock dies with the process. Cancelling the
/// token given to <see cref="Open"/> releases the lock at once and ends the writer (later appends throw): a notebook
/// cell that timed out may leave its thread running, and the next notebook must find the store free.
/// </summary>
public sealed class ResultsWriter : IDisposable
{
    private readonly FileStream lockStream;
    private readonly HashSet<string> keys;
    private readonly object gate = new();
    private readonly CancellationTokenRegistration onCancel;
    private bool released;

    public string File { get; }

    /// <summary>Warnings from reading the store at open (torn lines).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Keys of all finished runs in the store's folder (every shard) plus this writer's appends.</summary>
    public IReadOnlySet<string> FinishedKeys => keys;

    private ResultsWriter(string file, FileStream lockStream, StoreContents existing, CancellationToken cancel)
    {
        File = file;
        this.lockStream = lockStream;
        keys = existing.Keys.ToHashSet();
        Warnings = existing.Warnings;
        onCancel = cancel.Register(Release);
    }

    public static ResultsWriter Open(string folder, Shard? shard, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, ResultsStore.FileName(shard));
        var lockPath = Path.Combine(folder, "." + Path.GetFileName(file) + ".lock");
        FileStream lockStream;
        try
        {
            lockStream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new SpecException($"{file}: another process is writing this store file (locked by {lockPath}); " +
                                    "run each shard once at a time, or use --shard i/N to split the sweep");
        }
        try
        {
            return new ResultsWriter(file, lockStream, ResultsStore.Load(folder), cancel);
        }
        catch
        {
            lockStream.Dispose();
            throw;
        }
    }

    /// <summary>Appends a finished run; false (and nothing written) when its key is already in the store.</summary>
    public bool Append(RunRecord record)
    {
        lock (gate)
        {
            if (released) throw new OperationCanceledException($"{File}: this writer was cancelled or disposed and no longer holds the store's lock");
            if (keys.Contains(record.Key)) return false;
            var existing = ResultsStore.CompleteLines(File);
            var line = Encoding.UTF8.GetBytes(ResultsStore.Line(record));
            AtomicFile.Write(File, s =>
            {
                s.Write(existing);
                s.Write(line);
            });
            keys.Add(record.Key);
            return true;
        }
    }

    // Waits for an append in flight, so the file is never written without the lock.
    private void Release()
    {
        lock (gate)
        {
            released = true;
            lockStream.Dispose();
        }
    }

    public void Dispose()
    {
        onCancel.Dispose();
        Release();
    }
}
