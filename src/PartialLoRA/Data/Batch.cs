using static TorchSharp.torch;

namespace PartialLoRA.Data;

/// <summary>
/// One batch as a model consumes it: inputs after the transform (images N×3×H×W float, or token ids N×T int64),
/// the attention mask for tokens, int64 labels, and the positions of its rows in the set. The tensors belong to the
/// caller: dispose the batch, or enumerate inside a <c>torch.NewDisposeScope()</c>.
/// </summary>
public sealed class Batch(Tensor inputs, Tensor? attentionMask, Tensor labels, long[] indices) : IDisposable
{
    public Tensor Inputs { get; } = inputs;
    public Tensor? AttentionMask { get; } = attentionMask;
    public Tensor Labels { get; } = labels;
    public long[] Indices { get; } = indices;
    public int Count => Indices.Length;

    public void Dispose()
    {
        Inputs.Dispose();
        AttentionMask?.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Turns a batch's stored inputs (on the target device) into model inputs; <c>rng</c> drives any
/// augmentation and is keyed by the pass's seed and the batch number, so a run is reproducible.</summary>
public interface IBatchTransform
{
    Tensor Apply(Tensor inputs, FewShot.SplitMix64 rng);
}
