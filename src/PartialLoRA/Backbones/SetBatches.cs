using PartialLoRA.Data;
using PartialLoRA.Training;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>
/// A data-layer <see cref="ClassificationSet"/> as the engine's trainer reads it: the set's own batching (token
/// batches cut to their longest row; images through <paramref name="transform"/>), shuffled by the trainer's seed.
/// </summary>
public sealed class SetBatches(ClassificationSet set, IBatchTransform? transform = null) : ILabelledBatches
{
    public int Count => (int)set.Count;

    public IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed, Device device) =>
        set.Batches(batchSize, shuffleSeed is not null, shuffleSeed ?? 0, transform, device)
            .Select(b => new LabelledBatch(b.Inputs, b.AttentionMask, b.Labels));
}
