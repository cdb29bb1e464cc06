namespace PartialLoRA.Reproduction;

/// <summary>
/// The subset-sum problem behind Theorem 4.1's proof (App. A, after Lueker 1998 / Pensia et al. 2020 / Burkholz
/// 2022): given random candidates c_1…c_N and a target w, the subset S minimising |w − Σ_{k∈S} c_k|. Solved exactly
/// by meet-in-the-middle (all 2^⌈N/2⌉ sums of each half, the second half sorted and searched), O(2^{N/2}·N).
/// </summary>
public static class SubsetSum
{
    /// <summary>At most this many candidates (2 × 2^15 partial sums): enough for every width the notebooks use.</summary>
    public const int MaxCandidates = 30;

    /// <summary>The best subset (indices into <paramref name="candidates"/>, ascending) and its sum; the empty subset sums to 0.</summary>
    public static (int[] Subset, double Sum) Best(IReadOnlyList<double> candidates, double target)
    {
        if (!double.IsFinite(target)) throw new ArgumentException($"subset sum: the target must be finite, got {target}", nameof(target));
        var n = candidates.Count;
        if (n > MaxCandidates)
            throw new ArgumentException($"subset sum: {n} candidates; the exact solver takes at most {MaxCandidates}", nameof(candidates));
        if (candidates.FirstOrDefault(c => !double.IsFinite(c)) is var bad && !double.IsFinite(bad))
            throw new ArgumentException($"subset sum: candidates must be finite, found {bad}", nameof(candidates));

        var h = n / 2;
        var left = Sums(candidates, 0, h);
        var right = Sums(candidates, h, n - h);
        var rightMasks = Enumerable.Range(0, right.Length).ToArray();
        Array.Sort(right, rightMasks);

        double bestSum = 0, bestErr = Math.Abs(target);
        int bestLeft = 0, bestRight = 0;
        for (var l = 0; l < left.Length; l++)
        {
            var need = target - left[l];
            var i = Array.BinarySearch(right, need);
            if (i < 0) i = ~i;
            foreach (var j in new[] { i - 1, i })
            {
                if (j < 0 || j >= right.Length) continue;
                var sum = left[l] + right[j];
                var err = Math.Abs(target - sum);
                if (err < bestErr)
                {
                    (bestErr, bestSum, bestLeft, bestRight) = (err, sum, l, rightMasks[j]);
                }
            }
        }
        var subset = Enumerable.Range(0, h).Where(k => (bestLeft >> k & 1) == 1)
            .Concat(Enumerable.Range(0, n - h).Where(k => (bestRight >> k & 1) == 1).Select(k => k + h)).ToArray();
        return (subset, bestSum);
    }

    // sums[mask] = Σ of candidates[offset + k] for the bits k of mask
    private static double[] Sums(IReadOnlyList<double> c, int offset, int count)
    {
        var sums = new double[1 << count];
        for (var mask = 1; mask < sums.Length; mask++)
        {
            var low = System.Numerics.BitOperations.TrailingZeroCount(mask);
            sums[mask] = sums[mask & (mask - 1)] + c[offset + low];
        }
        return sums;
    }
}
