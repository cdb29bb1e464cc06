using PartialLoRA.Data.FewShot;
using PartialLoRA.Reproduction;
using Xunit;

namespace PartialLoRA.Tests.Reproduction;

public class Theorem41Tests
{
    [Fact]
    public void SubsetSum_matches_brute_force()
    {
        var rng = new SplitMix64(7);
        for (var trial = 0; trial < 40; trial++)
        {
            var n = 1 + trial % 12;
            var c = Enumerable.Range(0, n).Select(_ => rng.NextDouble(-1, 1)).ToArray();
            var target = rng.NextDouble(-2, 2);
            var best = double.MaxValue;
            for (var mask = 0; mask < 1 << n; mask++)
                best = Math.Min(best, Math.Abs(target - Enumerable.Range(0, n).Where(k => (mask >> k & 1) == 1).Sum(k => c[k])));
            var (subset, sum) = SubsetSum.Best(c, target);
            Assert.Equal(best, Math.Abs(target - sum), 12);
            Assert.Equal(sum, subset.Sum(k => c[k]), 12);
            Assert.Equal(subset.Distinct().Order(), subset);
        }
    }

    [Fact]
    public void SubsetSum_without_candidates_is_the_empty_sum_and_rejects_bad_input()
    {
        var (subset, sum) = SubsetSum.Best([], 0.5);
        Assert.Empty(subset);
        Assert.Equal(0.0, sum);
        Assert.Throws<ArgumentException>(() => SubsetSum.Best(new double[SubsetSum.MaxCandidates + 1], 0));
        Assert.Throws<ArgumentException>(() => SubsetSum.Best([double.NaN], 0));
    }

    [Fact]
    public void MaxOutputNorm_is_the_exact_maximum_over_the_cube()
    {
        // E = [[1, 2], [3, -4]]: vertices (1,1) → (3,-1), (1,-1) → (-1,7): max ‖Ex‖ = √50
        Assert.Equal(Math.Sqrt(50), Theorem41.MaxOutputNorm(new double[,] { { 1, 2 }, { 3, -4 } }), 12);
        // a row vector: max |Σ e_j x_j| = Σ |e_j|
        Assert.Equal(6, Theorem41.MaxOutputNorm(new double[,] { { 1, -2, 3 } }), 12);
    }

    [Fact]
    public void Same_seed_same_trials_and_wider_dense_adapters_approximate_better()
    {
        var setup = new Theorem41Setup(4, 4, 2, [2, 12], [1.0, 0.5], 4);
        var a = Theorem41.Run(setup, 3);
        Assert.Equal(a, Theorem41.Run(setup, 3));
        Assert.NotEqual(a.Select(t => t.Error), Theorem41.Run(setup, 4).Select(t => t.Error));
        Assert.Equal(2 * 2 * 4, a.Count);
        double Geo(double p, int n) => Math.Exp(a.Where(t => t.Density == p && t.Width == n).Average(t => Math.Log(t.RelativeError)));
        Assert.True(Geo(1.0, 12) < Geo(1.0, 2) / 10, $"width 12: {Geo(1.0, 12)}, width 2: {Geo(1.0, 2)}");
        Assert.True(Geo(1.0, 12) < Geo(0.5, 12), "a denser mask leaves more candidates");
        // dense, width n: every weight has exactly n candidates
        Assert.All(a.Where(t => t.Density == 1.0), t => Assert.Equal(t.Width, t.Candidates));
        Assert.All(a, t => Assert.Equal(t.Width * 4 * 8, t.AdapterParameters));
    }

    [Fact]
    public void Summary_fit_and_validation()
    {
        var setup = new Theorem41Setup(3, 3, 1, [2, 6, 10], [1.0, 0.6], 3);
        var trials = Theorem41.Run(setup, 1);
        var frame = Theorem41.SummaryFrame(trials, setup);
        Assert.Equal(6, frame.Rows.Count);
        Assert.Equal(1.0, frame.Columns["density p"][0]);
        var fit = Theorem41.FitLogError(trials);
        Assert.True(fit.Slope > 0, $"error must fall with the number of candidates, slope {fit.Slope}");
        Assert.Equal(2, Theorem41.Curves(trials).Count);
        Assert.Throws<ArgumentException>(() => Theorem41.Run(setup with { InFeatures = 17 }, 0));
        Assert.Throws<ArgumentException>(() => Theorem41.Run(setup with { Densities = [0.0] }, 0));
        Assert.Throws<ArgumentException>(() => Theorem41.Run(setup with { TargetRank = 4 }, 0));
    }
}
