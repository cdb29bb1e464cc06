using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Sparsity;

/// <summary>Consecutive slices of a <see cref="FewShotSet"/> on a device, for batched evaluation and gradients.</summary>
public static class FewShotBatches
{
    /// <summary>
    /// Splits D_t into batches of at most <paramref name="batchSize"/> samples (0: one batch) moved to
    /// <paramref name="device"/>. The tensors belong to the caller's dispose scope.
    /// </summary>
    public static IEnumerable<(Tensor Inputs, Tensor? AttentionMask, Tensor Labels)> Split(FewShotSet data, int batchSize, Device device)
    {
        if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be 0 (whole set) or positive");
        var n = data.Count;
        var size = batchSize == 0 ? n : batchSize;
        for (var start = 0; start < n; start += size)
        {
            var len = Math.Min(size, n - start);
            yield return (data.Inputs.narrow(0, start, len).to(device),
                data.AttentionMask?.narrow(0, start, len).to(device),
                data.Labels.narrow(0, start, len).to(device));
        }
    }
}
