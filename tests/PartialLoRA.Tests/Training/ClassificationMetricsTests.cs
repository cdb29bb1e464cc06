using PartialLoRA.Training;

namespace PartialLoRA.Tests.Training;

public class ClassificationMetricsTests
{
    private static Dictionary<string, double> All(long[] pred, long[] labels, int k) =>
        ClassificationMetrics.Compute(k == 2 ? ClassificationMetrics.Known : [ClassificationMetrics.Accuracy, ClassificationMetrics.MatthewsCorrelation],
            ClassificationMetrics.ConfusionMatrix(pred, labels, k));

    [Fact]
    public void Binary_metrics_match_hand_computed_values()
    {
        // TP = 3, FN = 1, FP = 1, TN = 3.
        long[] labels = [1, 1, 1, 1, 0, 0, 0, 0];
        long[] pred = [1, 1, 1, 0, 1, 0, 0, 0];
        var m = All(pred, labels, 2);
        Assert.Equal(6.0 / 8, m["accuracy"], 12);
        Assert.Equal(2.0 * 3 / (2 * 3 + 1 + 1), m["f1"], 12);
        // (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (9 − 1) / √(4·4·4·4) = 0.5
        Assert.Equal(0.5, m["matthews_correlation"], 12);
    }

    [Fact]
    public void Matthews_matches_scikit_learn_documentation_example()
    {
        // sklearn.metrics.matthews_corrcoef docs: y_true = [+1, +1, +1, -1], y_pred = [+1, -1, +1, +1] → -0.33...
        var m = All([1, 0, 1, 1], [1, 1, 1, 0], 2);
        Assert.Equal(-1.0 / 3, m["matthews_correlation"], 12);
    }

    [Fact]
    public void Multiclass_matthews_uses_the_K_class_formula()
    {
        // confusion [[2,1,0],[0,3,1],[1,0,2]]: c = 7, s = 10, t = p = (3,4,3): (70 − 34) / √(66 · 66) = 36/66
        long[] labels = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2];
        long[] pred = [0, 0, 1, 1, 1, 1, 2, 0, 2, 2];
        var c = ClassificationMetrics.ConfusionMatrix(pred, labels, 3);
        Assert.Equal(2, c[0, 0]);
        Assert.Equal(1, c[1, 2]);
        var m = All(pred, labels, 3);
        Assert.Equal(36.0 / 66, m["matthews_correlation"], 12);
        Assert.Equal(0.7, m["accuracy"], 12);
    }

    [Fact]
    public void Degenerate_cases_give_zero_not_NaN()
    {
        // Every prediction the same class: MCC's denominator is 0 → 0 (scikit-learn's convention).
        var constant = All([0, 0, 0, 0], [0, 1, 0, 1], 2);
        Assert.Equal(0, constant["matthews_correlation"]);
        Assert.Equal(0, constant["f1"]);
        Assert.Equal(0.5, constant["accuracy"]);
        var perfect = All([0, 1, 1], [0, 1, 1], 2);
        Assert.Equal(1, perfect["matthews_correlation"], 12);
        Assert.Equal(1, perfect["f1"], 12);
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_a_reason()
    {
        Assert.Contains("outside 0..1", Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.ConfusionMatrix([0], [2], 2)).Message);
        Assert.Contains("2 predictions for 1 labels", Assert.Throws<ArgumentException>(() => ClassificationMetrics.ConfusionMatrix([0, 1], [1], 2)).Message);
        Assert.Contains("binary F1", Assert.Throws<ArgumentException>(() => ClassificationMetrics.F1Of(new long[3, 3])).Message);
        Assert.Contains("unknown metric 'auc'", Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute(["auc"], new long[2, 2])).Message);
    }
}
