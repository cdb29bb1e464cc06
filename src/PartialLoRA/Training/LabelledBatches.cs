using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>One batch on the training device: images (N,3,H,W float) or token ids (N,T int64) with a mask, and int64 labels.</summary>
public sealed record LabelledBatch(Tensor Inputs, Tensor? AttentionMask, Tensor Labels);

/// <summary>A labelled split as the trainer reads it: the data layer's sets, or tensors in memory (<see cref="TensorBatches"/>).</summary>
public interface ILabelledBatches
{
    /// <summary>Examples in the split.</summary>
    int Count { get; }

    /// <summary>
    /// The split in batches of <paramref name="batchSize"/> (the last may be smaller), in order when
    /// <paramref name="shuffleSeed"/> is null, else in a permutation determined by that seed alone. Batches are created in the caller's
    /// dispose scope and belong to the caller, which disposes them after use: yield new tensors (slices,
    /// gathers, transform outputs), never the split's own.
    /// </summary>
    IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed, Device device);
}

/// <summary>A split held as tensors (inputs, optional attention mask, labels), batched by index; owns them.</summary>
public sealed class TensorBatches : ILabelledBatches, IDisposable
{
    public Tensor Inputs { get; }
    public Tensor? AttentionMask { get; }
    public Tensor Labels { get; }

    public TensorBatches(Tensor inputs, Tensor labels, Tensor? attentionMask = null)
    {
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"labels must be a 1-D int64 tensor, got {labels.dtype} of shape [{string.Join(",", labels.shape)}]", nameof(labels));
        if (inputs.shape[0] != labels.shape[0])
            throw new ArgumentException($"{inputs.shape[0]} inputs for {labels.shape[0]} labels", nameof(inputs));
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputs.shape))
            throw new ArgumentException($"attention mask shape [{string.Join(",", attentionMask.shape)}] differs from inputs [{string.Join(",", inputs.shape)}]", nameof(attentionMask));
        Inputs = inputs;
        Labels = labels;
        AttentionMask = attentionMask;
    }

    public int Count => (int)Labels.shape[0];

    public IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed, Device device)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be > 0");
        Tensor? order = null;
        if (shuffleSeed is { } seed)
        {
            using var gen = new Generator(seed);
            order = torch.randperm(Count, generator: gen);
        }
        for (int start = 0; start < Count; start += batchSize)
        {
            var len = Math.Min(batchSize, Count - start);
            if (order is null)
                yield return new LabelledBatch(Inputs.narrow(0, start, len).to(device), AttentionMask?.narrow(0, start, len).to(device),
                    Labels.narrow(0, start, len).to(device));
            else
            {
                var idx = order.narrow(0, start, len).to(Inputs.device);
                yield return new LabelledBatch(Inputs.index_select(0, idx).to(device), AttentionMask?.index_select(0, idx).to(device),
                    Labels.index_select(0, idx).to(device));
            }
        }
        order?.Dispose();
    }

    public void Dispose()
    {
        Inputs.Dispose();
        AttentionMask?.Dispose();
        Labels.Dispose();
    }
}
