using PartialLoRA.Data;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>
/// The trainer's view of a data-layer <see cref="ClassificationSet"/>: its seeded batching (the shuffle seed is the
/// trainer's per-epoch seed) with the split's per-batch transform (decode → normalise, augmentation for training).
/// Owns its handle on the set (a shared handle from the set cache; disposing it leaves the cache intact).
/// </summary>
public sealed class ClassificationSetBatches(ClassificationSet set, IBatchTransform? transform) : ILabelledBatches, IDisposable
{
    public ClassificationSet Set { get; } = set;

    public IBatchTransform? Transform { get; } = transform;

    public int Count => (int)Set.Count;

    public IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed, Device device)
    {
        foreach (var b in Set.Batches(batchSize, shuffleSeed.HasValue, shuffleSeed ?? 0, Transform, device))
            yield return new LabelledBatch(b.Inputs, b.AttentionMask, b.Labels);
    }

    public void Dispose() => Set.Dispose();
}
