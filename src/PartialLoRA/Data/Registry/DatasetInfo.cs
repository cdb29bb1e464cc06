using PartialLoRA.Data.Files;
using PartialLoRA.Data.Glue;
using PartialLoRA.Data.Images;

namespace PartialLoRA.Data.Registry;

/// <summary>A file a dataset can be downloaded from: URL, stored name, and the checksum its publisher gives.</summary>
public sealed record RemoteFile(string Url, string FileName, string? Md5 = null);

/// <summary>How CLIP's class names line up with the dataset's labels.</summary>
public enum ClipNameOrder
{
    /// <summary>CLIP's list is in label order (CIFAR, FER, GTSRB, Flowers102, ImageNet).</summary>
    ByIndex,
    /// <summary>CLIP's list is matched to the dataset's own class names, loosely (case, '_', '-' and spaces ignored):
    /// Pets (CLIP sorts the names case-sensitively, the labels do not), CIFAR-100, FGVC-Aircraft.</summary>
    ByName,
}

/// <summary>
/// A registry entry: where the dataset lives under the data root, how its files are read, its splits, classes, task,
/// metric, the paper's few-shot setting, CLIP's names for it, and where to get it.
/// </summary>
public sealed record DatasetInfo
{
    public required string Name { get; init; }
    public required string Title { get; init; }
    /// <summary>Folders tried under the data root, in order.</summary>
    public required IReadOnlyList<string> Folders { get; init; }
    /// <summary>Absolute folders tried after those (e.g. Debian's <c>/usr/share/datasets/fashion-mnist</c>).</summary>
    public IReadOnlyList<string> SystemFolders { get; init; } = [];
    public required TaskType Task { get; init; }
    public required string Metric { get; init; }
    public required int ClassCount { get; init; }
    /// <summary>The official splits whose union is the few-shot pool (train, plus the official val split if any).</summary>
    public required IReadOnlyList<string> PoolSplits { get; init; }
    /// <summary>The split test metrics are reported on.</summary>
    public required string TestSplit { get; init; }
    public IReadOnlyList<string> Splits { get; init; } = [];
    /// <summary>The paper's shots per class (images) — 16, Flowers102 6; null for GLUE (ratio-based).</summary>
    public int? PaperShots { get; init; }
    /// <summary>Stored channels: 1 for gray datasets, else 3.</summary>
    public int Channels { get; init; } = 3;
    /// <summary>The section of CLIP's prompts.md (or <see cref="ClipPrompts.ImageNet"/>), when CLIP has one.</summary>
    public string? ClipSet { get; init; }
    public ClipNameOrder ClipOrder { get; init; } = ClipNameOrder.ByIndex;
    /// <summary>The layouts the reader accepts, for "files not found" messages.</summary>
    public required IReadOnlyList<string> Layouts { get; init; }
    public IReadOnlyList<RemoteFile> Downloads { get; init; } = [];
    /// <summary>How to get the files when they cannot be downloaded automatically (licence, login).</summary>
    public string? Manual { get; init; }
    /// <summary>Whether a tree holds this dataset in one of the accepted layouts.</summary>
    public required Func<FileTree, bool> Present { get; init; }
    public Func<FileTree, string, ImageSplit>? ReadImages { get; init; }
    public GlueTask? Glue { get; init; }

    public bool IsImage => Task == TaskType.ImageClassification;
}
