using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Text;

/// <summary>Right-padded (N,T) int64 id and 1/0 attention-mask tensors from token id lists.</summary>
public static class TokenBatch
{
    /// <param name="length">Pad every row to this length; null = to the longest row.</param>
    public static (Tensor Ids, Tensor Mask) Pad(IReadOnlyList<IReadOnlyList<int>> rows, int padId, int? length = null, Device? device = null)
    {
        if (rows.Count == 0) throw new ArgumentException("cannot build a batch from zero sequences");
        var t = length ?? rows.Max(r => r.Count);
        if (rows.Any(r => r.Count > t)) throw new ArgumentException($"a sequence has {rows.Max(r => r.Count)} tokens, more than the batch length {t}");
        var ids = new long[rows.Count * t];
        var mask = new long[rows.Count * t];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < t; j++)
            {
                var real = j < rows[i].Count;
                ids[i * t + j] = real ? rows[i][j] : padId;
                mask[i * t + j] = real ? 1 : 0;
            }
        return (torch.tensor(ids, [rows.Count, t], device: device), torch.tensor(mask, [rows.Count, t], device: device));
    }
}
