using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Importance;

/// <summary>How the kept index sets (Targeted-LoRA) are chosen once Algorithm 1 has fixed how many to keep.</summary>
public enum SelectionMode
{
    /// <summary>The k most important indices (Targeted-LoRA: end of §4.2.2; §5.5, Table 2).</summary>
    TopK,

    /// <summary>App. D: k indices sampled without replacement from softmax(I / T).</summary>
    Softmax,
}

/// <summary>Chooses k indices from importance scores, deterministically (top-k) or stochastically (App. D).</summary>
public static class IndexSelection
{
    /// <summary>The k most important indices, ascending. Ties keep the higher index (the mirror of Algorithm 1's removal order).</summary>
    public static int[] TopK(double[] scores, int k)
    {
        CheckCount(scores, k);
        var order = ImportanceScores.AscendingOrder(scores);
        return order[(scores.Length - k)..].Order().ToArray();
    }

    /// <summary>
    /// App. D: k distinct indices drawn from softmax(I / T) without replacement, ascending. The scores are first
    /// divided by their largest absolute value, so that one temperature means the same across layers and measures
    /// (raw SVD and gradient scores differ by orders of magnitude): T → 0 approaches <see cref="TopK"/>, large T
    /// approaches a uniform draw. Same scores, k, T and seed ⇒ same indices.
    /// </summary>
    public static int[] Softmax(double[] scores, int k, double temperature, long seed)
    {
        CheckCount(scores, k);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the softmax temperature must be positive and finite");
        if (k == 0) return [];
        using var scope = torch.NewDisposeScope();
        var scale = scores.Max(Math.Abs);
        var logits = torch.tensor(scores, ScalarType.Float64) / (scale > 0 ? scale : 1) / temperature;
        // Gumbel-top-k (Kool et al., 2019): the k largest logits + Gumbel(0,1) noise are distributed exactly as k
        // successive draws without replacement from softmax(logits), and unlike multinomial it never fails when
        // a small T underflows most probabilities to 0.
        using var gen = new torch.Generator(unchecked((ulong)seed));
        var u = torch.rand(scores.Length, ScalarType.Float64, generator: gen).clamp(1e-300, 1 - 1e-16);
        var keys = logits - (-u.log()).log();
        var (_, picked) = keys.topk(k);
        return picked.data<long>().ToArray().Select(i => (int)i).Order().ToArray();
    }

    /// <summary>The kept indices under <paramref name="mode"/>.</summary>
    public static int[] Select(double[] scores, int k, SelectionMode mode, double temperature, long seed) => mode switch
    {
        SelectionMode.TopK => TopK(scores, k),
        SelectionMode.Softmax => Softmax(scores, k, temperature, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown selection mode"),
    };

    private static void CheckCount(double[] scores, int k)
    {
        if (k < 0 || k > scores.Length)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"cannot keep {k} of {scores.Length} indices");
    }
}
