namespace PartialLoRA.Training;

/// <summary>
/// Early stopping on the validation score (§5: "a similar sized validation set for early stopping"): remembers
/// the best score (higher is better) and stops after <see cref="Patience"/> evaluations without an improvement
/// larger than <see cref="MinDelta"/>. Ties keep the earlier evaluation.
/// </summary>
public sealed class EarlyStopping
{
    public int Patience { get; }
    public double MinDelta { get; }

    public double BestScore { get; private set; } = double.NegativeInfinity;

    /// <summary>The evaluation (0-based) that gave <see cref="BestScore"/>, or -1 before the first.</summary>
    public int BestEvaluation { get; private set; } = -1;

    public int Evaluations { get; private set; }

    /// <summary>Evaluations since the best one.</summary>
    public int Stale => Evaluations - 1 - BestEvaluation;

    public bool ShouldStop => BestEvaluation >= 0 && Stale >= Patience;

    /// <param name="patience">Evaluations without improvement before stopping; must be ≥ 1.</param>
    public EarlyStopping(int patience, double minDelta = 0)
    {
        if (patience < 1) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be at least 1 evaluation");
        if (!(minDelta >= 0)) throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "min_delta must be ≥ 0");
        Patience = patience;
        MinDelta = minDelta;
    }

    /// <summary>Records a validation score; true when it is a new best (the caller keeps that state).</summary>
    public bool Report(double score)
    {
        if (double.IsNaN(score)) throw new ArgumentException("validation score is NaN", nameof(score));
        var improved = BestEvaluation < 0 || score > BestScore + MinDelta;
        if (improved)
        {
            BestScore = score;
            BestEvaluation = Evaluations;
        }
        Evaluations++;
        return improved;
    }
}
