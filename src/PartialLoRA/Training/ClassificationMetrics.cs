namespace PartialLoRA.Training;

/// <summary>
/// The task metrics of §5: accuracy (vision, SST-2, QNLI), Matthews correlation (CoLA), F1 and accuracy (MRPC),
/// computed from a K×K confusion matrix. Names follow HF <c>evaluate</c>: <c>accuracy</c>,
/// <c>matthews_correlation</c>, <c>f1</c>.
/// </summary>
public static class ClassificationMetrics
{
    public const string Accuracy = "accuracy";
    public const string MatthewsCorrelation = "matthews_correlation";
    public const string F1 = "f1";

    public static readonly IReadOnlyList<string> Known = [Accuracy, MatthewsCorrelation, F1];

    /// <summary>counts[true, predicted] over <paramref name="numClasses"/> classes.</summary>
    public static long[,] ConfusionMatrix(ReadOnlySpan<long> predicted, ReadOnlySpan<long> labels, int numClasses)
    {
        if (predicted.Length != labels.Length)
            throw new ArgumentException($"{predicted.Length} predictions for {labels.Length} labels");
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a classifier needs at least 2 classes");
        var c = new long[numClasses, numClasses];
        for (int i = 0; i < labels.Length; i++)
        {
            var t = labels[i];
            var p = predicted[i];
            if ((ulong)t >= (ulong)numClasses) throw new ArgumentOutOfRangeException(nameof(labels), $"label {t} at {i} is outside 0..{numClasses - 1}");
            if ((ulong)p >= (ulong)numClasses) throw new ArgumentOutOfRangeException(nameof(predicted), $"prediction {p} at {i} is outside 0..{numClasses - 1}");
            c[t, p]++;
        }
        return c;
    }

    /// <summary>The named metrics of one evaluation.</summary>
    public static Dictionary<string, double> Compute(IEnumerable<string> names, long[,] confusion)
    {
        var result = new Dictionary<string, double>();
        foreach (var name in names)
            result[name] = name switch
            {
                Accuracy => AccuracyOf(confusion),
                MatthewsCorrelation => MatthewsCorrelationOf(confusion),
                F1 => F1Of(confusion),
                _ => throw new ArgumentException($"unknown metric '{name}'; known: {string.Join(", ", Known)}"),
            };
        return result;
    }

    public static double AccuracyOf(long[,] c)
    {
        long correct = 0, n = 0;
        for (int i = 0; i < c.GetLength(0); i++)
            for (int j = 0; j < c.GetLength(1); j++)
            {
                n += c[i, j];
                if (i == j) correct += c[i, j];
            }
        return n == 0 ? 0 : (double)correct / n;
    }

    /// <summary>
    /// Matthews correlation in its K-class form (Gorodkin 2004; what scikit-learn computes, and the usual
    /// binary formula for K = 2): (c·s − Σ p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)) with c correct, s total,
    /// t_k true and p_k predicted counts of class k. 0 when a factor of the denominator is 0.
    /// </summary>
    public static double MatthewsCorrelationOf(long[,] c)
    {
        int k = c.GetLength(0);
        var t = new double[k];
        var p = new double[k];
        double correct = 0, s = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                t[i] += c[i, j];
                p[j] += c[i, j];
                s += c[i, j];
                if (i == j) correct += c[i, j];
            }
        double pt = 0, pp = 0, tt = 0;
        for (int i = 0; i < k; i++)
        {
            pt += p[i] * t[i];
            pp += p[i] * p[i];
            tt += t[i] * t[i];
        }
        var den = (s * s - pp) * (s * s - tt);
        return den == 0 ? 0 : (correct * s - pt) / Math.Sqrt(den);
    }

    /// <summary>Binary F1 of the positive class 1 (GLUE's MRPC convention): 2TP / (2TP + FP + FN); 0 when undefined.</summary>
    public static double F1Of(long[,] c)
    {
        if (c.GetLength(0) != 2) throw new ArgumentException($"f1 is the binary F1 of class 1; this task has {c.GetLength(0)} classes");
        double tp = c[1, 1], fp = c[0, 1], fn = c[1, 0];
        var den = 2 * tp + fp + fn;
        return den == 0 ? 0 : 2 * tp / den;
    }
}
