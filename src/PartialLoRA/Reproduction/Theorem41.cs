using Microsoft.Data.Analysis;
using PartialLoRA.Data.FewShot;

namespace PartialLoRA.Reproduction;

/// <summary>
/// Sizes of the Theorem 4.1 experiment: a target adapter ΔW_T = B_T A_T (m×d, rank r_T) and randomly masked wider
/// adapters ΔW = (B ⊙ M_B)(A ⊙ M_A) of rank r = n·d (n hidden units per input), B, A ~ U[−1, 1] and Bernoulli masks
/// of density p, for every width n and density p, repeated over trials.
/// </summary>
public sealed record Theorem41Setup(int OutFeatures, int InFeatures, int TargetRank, IReadOnlyList<int> Widths,
    IReadOnlyList<double> Densities, int Trials)
{
    /// <summary>CPU, seconds: 6×6 target, widths 2…24, 4 densities, 6 trials.</summary>
    public static Theorem41Setup Smoke { get; } = new(6, 6, 2, Even(2, 24), [1.0, 0.8, 0.6, 0.4], 6);

    /// <summary>8×8 target, widths 2…30, 5 densities, 20 trials.</summary>
    public static Theorem41Setup Lab { get; } = new(8, 8, 2, Even(2, 30), [1.0, 0.8, 0.6, 0.4, 0.3], 20);

    private static int[] Even(int from, int to) => Enumerable.Range(0, (to - from) / 2 + 1).Select(i => from + 2 * i).ToArray();

    public void Validate()
    {
        if (OutFeatures < 1 || InFeatures < 1) throw new ArgumentException($"Theorem 4.1 setup: the target must be at least 1×1, got {OutFeatures}×{InFeatures}");
        if (InFeatures > 16) throw new ArgumentException($"Theorem 4.1 setup: the exact max over the input cube enumerates 2^d vertices; d = {InFeatures} > 16");
        if (TargetRank < 1 || TargetRank > Math.Min(OutFeatures, InFeatures))
            throw new ArgumentException($"Theorem 4.1 setup: target rank {TargetRank} must be in 1…{Math.Min(OutFeatures, InFeatures)}");
        if (Widths.Count == 0 || Widths.Any(n => n < 1 || n > SubsetSum.MaxCandidates))
            throw new ArgumentException($"Theorem 4.1 setup: widths must be in 1…{SubsetSum.MaxCandidates}, got [{string.Join(", ", Widths)}]");
        if (Densities.Count == 0 || Densities.Any(p => !(p > 0 && p <= 1)))
            throw new ArgumentException($"Theorem 4.1 setup: densities must be in (0, 1], got [{string.Join(", ", Densities)}]");
        if (Trials < 1) throw new ArgumentException($"Theorem 4.1 setup: at least one trial, got {Trials}");
    }
}

/// <summary>One masked adapter against its target.</summary>
/// <param name="Candidates">Mean over the target's weights of the products b_ik·a_kj that survived the random mask (the subset-sum candidates).</param>
/// <param name="TicketParameters">Non-zero entries of B ⊙ U_B and A ⊙ U_A in the ticket (the subnetwork that approximates ΔW_T).</param>
/// <param name="AdapterParameters">Entries of the dense wider adapter, r·(m + d).</param>
/// <param name="Error">max over x ∈ [−1, 1]^d of ‖ΔW_T x − ΔW_ticket x‖₂ (exact: the maximum of a convex function over a cube is at a vertex).</param>
/// <param name="RelativeError"><see cref="Error"/> / max_x ‖ΔW_T x‖₂.</param>
public sealed record Theorem41Trial(double Density, int Width, int Trial, int Rank, double Candidates, int TicketParameters,
    int AdapterParameters, double Error, double RelativeError);

/// <summary>
/// §4.1, Theorem 4.1 and its proof (App. A), as an experiment on tensors: a randomly masked LoRA that is wider than a
/// target LoRA contains a subnetwork (a further mask U) whose output is within ε of the target's on a compact input
/// set, and the width it needs grows like log(1/ε) divided by a density term (Eq. 3).
///
/// As in the proof, the residual of one layer is what is approximated (the frozen W x + b cancel, Eq. 10), and the
/// wider adapter's two factors play the two layers of the subset-sum construction: hidden unit k of A is assigned to
/// input j = ⌊k/n⌋ (U_A keeps a_kj only there), and row i of U_B keeps the subset S_ij of that block whose products
/// solve the subset-sum problem Σ_{k∈S_ij} b_ik a_kj ≈ (ΔW_T)_ij exactly (<see cref="SubsetSum"/>). Only products
/// whose b_ik and a_kj both survived the random Bernoulli(p) mask can be chosen, so a weight has about n·p²
/// candidates; subset sums of N random candidates reach any target in range within ~2^{−cN}, which is the
/// log(1/ε) ∝ width × density trade-off of Eq. 3.
/// </summary>
public static class Theorem41
{
    /// <summary>Every (density, width, trial) of <paramref name="setup"/>. Trial t uses the same target for every width and density.</summary>
    public static IReadOnlyList<Theorem41Trial> Run(Theorem41Setup setup, long seed)
    {
        setup.Validate();
        var results = new List<Theorem41Trial>();
        for (var t = 0; t < setup.Trials; t++)
        {
            var target = Target(setup, seed, t);
            var scale = MaxOutputNorm(target);
            foreach (var p in setup.Densities)
                foreach (var n in setup.Widths)
                    results.Add(Approximate(setup, target, scale, p, n, seed, t));
        }
        return results;
    }

    /// <summary>ΔW_T = B_T A_T with Gaussian factors, scaled so its largest entry is 1 (inside the reach of U[−1,1] products' subset sums).</summary>
    public static double[,] Target(Theorem41Setup setup, long seed, int trial)
    {
        var rng = SplitMix64.For((ulong)seed, "theorem41", "target", trial.ToString());
        int m = setup.OutFeatures, d = setup.InFeatures, r = setup.TargetRank;
        var b = Gaussian(rng, m, r);
        var a = Gaussian(rng, r, d);
        var w = new double[m, d];
        double max = 0;
        for (var i = 0; i < m; i++)
            for (var j = 0; j < d; j++)
            {
                for (var k = 0; k < r; k++) w[i, j] += b[i, k] * a[k, j];
                max = Math.Max(max, Math.Abs(w[i, j]));
            }
        for (var i = 0; i < m; i++)
            for (var j = 0; j < d; j++) w[i, j] /= max;
        return w;
    }

    private static Theorem41Trial Approximate(Theorem41Setup setup, double[,] target, double targetScale, double p, int n, long seed, int trial)
    {
        int m = setup.OutFeatures, d = setup.InFeatures, r = n * d;
        var rng = SplitMix64.For((ulong)seed, "theorem41", "adapter", trial.ToString(), n.ToString(), p.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        var b = Uniform(rng, m, r);
        var a = Uniform(rng, r, d);
        var keepB = Bernoulli(rng, m, r, p);
        var keepA = Bernoulli(rng, r, d, p);

        var ticket = new double[m, d];
        var usedA = new bool[r];
        long candidates = 0;
        var ticketB = 0;
        var values = new List<double>(n);
        var units = new List<int>(n);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < d; j++)
            {
                values.Clear();
                units.Clear();
                for (var k = j * n; k < (j + 1) * n; k++)
                    if (keepA[k, j] && keepB[i, k])
                    {
                        values.Add(b[i, k] * a[k, j]);
                        units.Add(k);
                    }
                candidates += values.Count;
                var (subset, sum) = SubsetSum.Best(values, target[i, j]);
                ticket[i, j] = sum;
                ticketB += subset.Length;
                foreach (var s in subset) usedA[units[s]] = true;
            }
        var error = new double[m, d];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < d; j++) error[i, j] = target[i, j] - ticket[i, j];
        var err = MaxOutputNorm(error);
        return new Theorem41Trial(p, n, trial, r, (double)candidates / (m * d), ticketB + usedA.Count(u => u), r * (m + d), err,
            targetScale > 0 ? err / targetScale : err);
    }

    /// <summary>max over x ∈ [−1, 1]^d of ‖E x‖₂, by enumerating the cube's vertices (x and −x give the same norm, so half of them).</summary>
    public static double MaxOutputNorm(double[,] e)
    {
        int m = e.GetLength(0), d = e.GetLength(1);
        if (d > 16) throw new ArgumentException($"max output norm: enumerating 2^{d} vertices is too many (d ≤ 16)");
        double best = 0;
        for (var v = 0; v < 1 << (d - 1); v++)
        {
            double norm2 = 0;
            for (var i = 0; i < m; i++)
            {
                double y = 0;
                for (var j = 0; j < d; j++) y += ((v >> j & 1) == 1 ? -1 : 1) * e[i, j];
                norm2 += y * y;
            }
            best = Math.Max(best, norm2);
        }
        return Math.Sqrt(best);
    }

    /// <summary>Per (density, width): the error over trials (geometric mean, min, max) and the ticket's size.</summary>
    public static DataFrame SummaryFrame(IReadOnlyList<Theorem41Trial> trials, Theorem41Setup setup)
    {
        var groups = Groups(trials);
        return new DataFrame(
            new DoubleDataFrameColumn("density p", groups.Select(g => g.Key.Density)),
            new Int32DataFrameColumn("width n (per input)", groups.Select(g => g.Key.Width)),
            new Int32DataFrameColumn("rank r = n·d", groups.Select(g => g.First().Rank)),
            new DoubleDataFrameColumn("candidates per weight", groups.Select(g => g.Average(x => x.Candidates))),
            new DoubleDataFrameColumn("relative error (geo. mean)", groups.Select(g => GeometricMean(g.Select(x => x.RelativeError)))),
            new DoubleDataFrameColumn("relative error (max)", groups.Select(g => g.Max(x => x.RelativeError))),
            new DoubleDataFrameColumn("ticket params (mean)", groups.Select(g => g.Average(x => (double)x.TicketParameters))),
            new Int32DataFrameColumn("wide adapter params", groups.Select(g => g.First().AdapterParameters)),
            new Int32DataFrameColumn("target params", groups.Select(_ => setup.TargetRank * (setup.OutFeatures + setup.InFeatures))));
    }

    /// <summary>One curve per density: widths, geometric-mean relative error, and its min–max band over trials.</summary>
    public static IReadOnlyList<(double Density, double[] Widths, double[] Error, double[] Low, double[] High)> Curves(IReadOnlyList<Theorem41Trial> trials) =>
        Groups(trials).GroupBy(g => g.Key.Density).Select(byP => (
            byP.Key,
            byP.Select(g => (double)g.Key.Width).ToArray(),
            byP.Select(g => GeometricMean(g.Select(x => x.RelativeError))).ToArray(),
            byP.Select(g => g.Min(x => x.RelativeError)).ToArray(),
            byP.Select(g => g.Max(x => x.RelativeError)).ToArray())).ToList();

    /// <summary>
    /// The scaling Eq. 3 predicts: ln ε ≈ α − β·N with N the candidates per weight (≈ n·p²), fitted by least squares
    /// over all trials with a non-zero error. Returns β, α and R².
    /// </summary>
    public static (double Slope, double Intercept, double RSquared, int Points) FitLogError(IReadOnlyList<Theorem41Trial> trials)
    {
        var pts = trials.Where(t => t.RelativeError > 0).Select(t => (X: t.Candidates, Y: Math.Log(t.RelativeError))).ToList();
        if (pts.Count < 3) throw new ArgumentException($"fit: {pts.Count} trials with a non-zero error; need at least 3");
        double mx = pts.Average(q => q.X), my = pts.Average(q => q.Y);
        double sxx = pts.Sum(q => (q.X - mx) * (q.X - mx)), sxy = pts.Sum(q => (q.X - mx) * (q.Y - my)), syy = pts.Sum(q => (q.Y - my) * (q.Y - my));
        if (sxx == 0) throw new ArgumentException("fit: every trial has the same number of candidates");
        var slope = sxy / sxx;
        var r2 = syy == 0 ? 1 : sxy * sxy / (sxx * syy);
        return (-slope, my - slope * mx, r2, pts.Count);
    }

    private static List<IGrouping<(double Density, int Width), Theorem41Trial>> Groups(IReadOnlyList<Theorem41Trial> trials)
    {
        if (trials.Count == 0) throw new ArgumentException("no Theorem 4.1 trials given");
        return trials.GroupBy(t => (t.Density, t.Width)).OrderByDescending(g => g.Key.Density).ThenBy(g => g.Key.Width).ToList();
    }

    private static double GeometricMean(IEnumerable<double> xs) => Math.Exp(xs.Average(x => Math.Log(Math.Max(x, 1e-300))));

    private static double[,] Uniform(SplitMix64 rng, int rows, int cols)
    {
        var x = new double[rows, cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++) x[i, j] = rng.NextDouble(-1, 1);
        return x;
    }

    private static bool[,] Bernoulli(SplitMix64 rng, int rows, int cols, double p)
    {
        var x = new bool[rows, cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++) x[i, j] = rng.NextDouble() < p;
        return x;
    }

    // Box–Muller on the keyed stream
    private static double[,] Gaussian(SplitMix64 rng, int rows, int cols)
    {
        var x = new double[rows, cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                x[i, j] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return x;
    }
}
