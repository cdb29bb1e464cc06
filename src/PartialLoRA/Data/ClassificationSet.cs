using PartialLoRA.Data.FewShot;
using PartialLoRA.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Data;

/// <summary>
/// A labelled tensor set, the data layer's output for the trainer and Algorithm 1 (paper §4.2.1's D_t, and the
/// full splits of App. B). Images are kept as stored: uint8 N×C×H×W (so CIFAR-10's 50,000 training images take
/// 150 MB), and become float model inputs per batch through an <see cref="IBatchTransform"/> (resize, augmentation,
/// normalisation); token sets hold int64 ids N×T with an N×T attention mask of 1/0. Labels are int64 N in
/// [0, classes). The set owns its tensors.
/// </summary>
public sealed class ClassificationSet : IDisposable
{
    public string Name { get; }
    public string Split { get; }
    public Tensor Inputs { get; }
    public Tensor? AttentionMask { get; }
    public Tensor Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public TaskType Task { get; }
    public string Metric { get; }

    public long Count => Labels.shape[0];
    public int NumClasses => ClassNames.Count;

    public ClassificationSet(string name, string split, Tensor inputs, Tensor labels, IReadOnlyList<string> classNames,
        TaskType task, string metric, Tensor? attentionMask = null)
    {
        _ = TorchRuntime.Current;
        var where = $"{name}/{split}";
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64) throw new ArgumentException($"{where}: labels must be int64 of shape (N); got {labels.dtype} [{string.Join(",", labels.shape)}]");
        if (inputs.dim() < 2 || inputs.shape[0] != labels.shape[0])
            throw new ArgumentException($"{where}: {inputs.shape[0]} inputs for {labels.shape[0]} labels");
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputs.shape))
            throw new ArgumentException($"{where}: attention mask [{string.Join(",", attentionMask.shape)}] does not match inputs [{string.Join(",", inputs.shape)}]");
        if (classNames.Count == 0) throw new ArgumentException($"{where}: no class names");
        if (labels.numel() > 0)
        {
            var (lo, hi) = (labels.min().item<long>(), labels.max().item<long>());
            if (lo < 0 || hi >= classNames.Count)
                throw new ArgumentException($"{where}: label {(lo < 0 ? lo : hi)} is out of range for {classNames.Count} classes");
        }
        (Name, Split, Inputs, Labels, ClassNames, Task, Metric, AttentionMask) = (name, split, inputs, labels, classNames, task, metric, attentionMask);
    }

    public bool IsImage => Task == TaskType.ImageClassification;

    /// <summary>Labels as a managed array.</summary>
    public long[] LabelArray() => Labels.data<long>().ToArray();

    /// <summary>Examples per class, indexed by label.</summary>
    public int[] ClassCounts()
    {
        var c = new int[NumClasses];
        foreach (var l in LabelArray()) c[l]++;
        return c;
    }

    /// <summary>The rows at <paramref name="indices"/>, as a new set (copies).</summary>
    public ClassificationSet Subset(IReadOnlyList<long> indices, string split)
    {
        using var idx = tensor(indices.ToArray(), dtype: ScalarType.Int64);
        return new ClassificationSet(Name, split, Inputs.index_select(0, idx), Labels.index_select(0, idx), ClassNames, Task, Metric,
            AttentionMask?.index_select(0, idx));
    }

    /// <summary>A second handle on the same storage (for caches that hand out sets the caller may dispose).</summary>
    public ClassificationSet Share() =>
        new(Name, Split, Inputs.alias(), Labels.alias(), ClassNames, Task, Metric, AttentionMask?.alias());

    /// <summary>
    /// Batches of <paramref name="batchSize"/> rows: in order (evaluation), or shuffled by
    /// <c>SplitMix64.For(seed, "batches", Name, Split)</c>. The stored rows are moved to <paramref name="device"/>
    /// (default <see cref="TorchRuntime.Device"/>) before <paramref name="transform"/> runs, so resizing and
    /// augmentation happen there; the transform's generator for batch b is keyed by (seed, "transform", b). Without a
    /// transform, images are returned as float in [0, 1]. Token batches are cut to their longest row.
    /// </summary>
    public IEnumerable<Batch> Batches(int batchSize, bool shuffle = false, ulong seed = 0, IBatchTransform? transform = null,
        Device? device = null, bool dropLast = false)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        device ??= TorchRuntime.Device;
        var n = (int)Count;
        var order = shuffle ? SplitMix64.For(seed, "batches", Name, Split).Permutation(n) : Enumerable.Range(0, n).ToArray();
        for (int start = 0, b = 0; start < n; start += batchSize, b++)
        {
            var len = Math.Min(batchSize, n - start);
            if (dropLast && len < batchSize) yield break;
            var rows = order.AsSpan(start, len).ToArray().Select(i => (long)i).ToArray();
            yield return MakeBatch(rows, device, transform, SplitMix64.For(seed, "transform", Name, Split, b.ToString()));
        }
    }

    private Batch MakeBatch(long[] rows, Device device, IBatchTransform? transform, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var idx = tensor(rows, dtype: ScalarType.Int64);
        var x = Inputs.index_select(0, idx).to(device);
        var y = Labels.index_select(0, idx).to(device);
        var mask = AttentionMask?.index_select(0, idx).to(device);
        if (mask is not null && mask.shape[1] > 0)
        {
            var longest = mask.sum(1).max().item<long>();
            x = x[.., TensorIndex.Slice(0, longest)];
            mask = mask[.., TensorIndex.Slice(0, longest)];
        }
        if (transform != null) x = transform.Apply(x, rng);
        else if (IsImage) x = x.to(ScalarType.Float32).div_(255);
        return new Batch(x.contiguous().MoveToOuterDisposeScope(), mask?.contiguous().MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), rows);
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
        AttentionMask?.Dispose();
    }
}
