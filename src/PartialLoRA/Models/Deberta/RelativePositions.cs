using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// DeBERTa's relative positions δ(i,j) = i − j between query i and key j (HF <c>build_relative_position</c>),
/// optionally log-bucketed (HF <c>make_log_bucket_position</c>, DeBERTa-v3): distances inside ±bucket/2 stay
/// exact, larger ones are compressed logarithmically up to max_position. The arithmetic is HF's, in float32, so the
/// bucket boundaries are identical.
/// </summary>
public static class RelativePositions
{
    /// <returns>(1, queryLength, keyLength) int64.</returns>
    public static Tensor Build(long queryLength, long keyLength, int bucketSize, int maxPosition, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var q = torch.arange(queryLength, ScalarType.Int64, device);
        var k = torch.arange(keyLength, ScalarType.Int64, device);
        var rel = q.unsqueeze(1) - k.unsqueeze(0);
        if (bucketSize > 0 && maxPosition > 0) rel = LogBucket(rel, bucketSize, maxPosition).to(ScalarType.Int64);
        return rel.unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>HF make_log_bucket_position, returning float32 as HF does (callers cast to int64).</summary>
    public static Tensor LogBucket(Tensor relativePos, int bucketSize, int maxPosition)
    {
        using var scope = torch.NewDisposeScope();
        var sign = relativePos.sign();
        var mid = bucketSize / 2;
        var inside = relativePos.lt(mid).logical_and(relativePos.gt(-mid));
        var absPos = torch.where(inside, torch.full_like(relativePos, mid - 1), relativePos.abs());
        var absF = absPos.to(ScalarType.Float32);
        var denom = torch.tensor((float)((maxPosition - 1) / (double)mid)).log();
        var logPos = (absF / mid).log().div(denom).mul(mid - 1).ceil().add(mid);
        var bucket = torch.where(absPos.le(mid), relativePos.to(ScalarType.Float32), logPos * sign.to(ScalarType.Float32));
        return bucket.MoveToOuterDisposeScope();
    }
}
