namespace PartialLoRA.Data.FewShot;

/// <summary>Row indices of a training subset and of its validation set (disjoint), each ascending.</summary>
public sealed record TrainValidation(int[] Train, int[] Validation);

/// <summary>
/// The paper's sampling of D_t (§4.2.1, §5 "Datasets and Models"; App. B), over the rows of a dataset's official
/// training pool (its train split, plus its official val split where it has one: Flowers102, FGVC-Aircraft; see
/// <c>DatasetInfo.PoolSplits</c>). Test sets are always the official test split, never sampled.
/// <para>
/// Per class c (in label order), the pool's rows with label c are taken in the reader's canonical order (sorted paths,
/// file order, record order) and permuted by <c>SplitMix64.For(seed, dataset, purpose, "class c")</c>
/// (<see cref="SplitMix64.Permutation"/>); the first rows of that permutation are the training shots, the next ones
/// the validation shots. Nothing depends on System.Random, thread timing or file-system order, so the same seed
/// gives the same rows on every machine. A class with too few rows is an error naming it.
/// </para>
/// </summary>
public static class FewShotSampler
{
    /// <summary>The paper's shots per class: 16, and 6 for Flowers102 "due to its smaller size".</summary>
    public static int PaperShots(string dataset) => dataset == "flowers102" ? 6 : 16;

    /// <summary>GLUE's size cut: a training set below this many examples is "small" (MRPC 3,668; CoLA 8,551), the
    /// others "large" (SST-2 67,349; QNLI 104,743).</summary>
    public const int SmallDatasetBelow = 10_000;

    /// <summary>The paper's GLUE few-shot fraction for sparsity derivation: 2% of the small datasets, 5% of the large.</summary>
    public static double PaperRatio(int officialTrainSize) => officialTrainSize < SmallDatasetBelow ? 0.02 : 0.05;

    /// <summary>
    /// <paramref name="shots"/> rows per class for training and a disjoint <paramref name="validationShots"/> (default:
    /// the same number) per class for early stopping, from the pool <paramref name="labels"/>.
    /// </summary>
    public static TrainValidation PerClass(IReadOnlyList<int> labels, int classes, int shots, ulong seed, string dataset,
        int? validationShots = null, IReadOnlyList<string>? classNames = null)
    {
        if (shots <= 0) throw new ArgumentOutOfRangeException(nameof(shots), shots, "shots per class must be positive");
        var val = validationShots ?? shots;
        if (val < 0) throw new ArgumentOutOfRangeException(nameof(validationShots), val, "must be ≥ 0");
        var train = new List<int>();
        var valid = new List<int>();
        foreach (var (c, rows) in ByClass(labels, classes))
        {
            if (rows.Count < shots + val)
                throw new InvalidOperationException(
                    $"{dataset}: class {c}{(classNames != null ? $" ({classNames[c]})" : "")} has {rows.Count} rows in the training pool; {shots} shots + {val} validation shots need {shots + val}");
            var perm = SplitMix64.For(seed, dataset, "few-shot", $"class {c}").Permutation(rows.Count);
            for (int k = 0; k < shots; k++) train.Add(rows[perm[k]]);
            for (int k = shots; k < shots + val; k++) valid.Add(rows[perm[k]]);
        }
        return new TrainValidation([.. train.Order()], [.. valid.Order()]);
    }

    /// <summary>
    /// App. B's whole-dataset training: <paramref name="validationShots"/> rows per class held out for early stopping
    /// (permutation keyed by purpose "whole"), every other row of the pool for training.
    /// </summary>
    public static TrainValidation Whole(IReadOnlyList<int> labels, int classes, int validationShots, ulong seed, string dataset)
    {
        if (validationShots < 0) throw new ArgumentOutOfRangeException(nameof(validationShots), validationShots, "must be ≥ 0");
        var valid = new List<int>();
        foreach (var (c, rows) in ByClass(labels, classes))
        {
            if (rows.Count <= validationShots)
                throw new InvalidOperationException($"{dataset}: class {c} has {rows.Count} rows; holding out {validationShots} would leave none for training");
            var perm = SplitMix64.For(seed, dataset, "whole", $"class {c}").Permutation(rows.Count);
            for (int k = 0; k < validationShots; k++) valid.Add(rows[perm[k]]);
        }
        var held = valid.ToHashSet();
        return new TrainValidation(Enumerable.Range(0, labels.Count).Where(i => !held.Contains(i)).ToArray(), [.. valid.Order()]);
    }

    /// <summary>
    /// A stratified fraction <paramref name="ratio"/> of the rows (GLUE's few-shot sets, <see cref="PaperRatio"/>): per
    /// class max(1, round-half-even(ratio × rows of c)) rows, chosen by the class's permutation (purpose "ratio").
    /// </summary>
    public static int[] ByRatio(IReadOnlyList<int> labels, int classes, double ratio, ulong seed, string dataset)
    {
        if (ratio is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "must be in (0, 1]");
        var picked = new List<int>();
        foreach (var (c, rows) in ByClass(labels, classes))
        {
            if (rows.Count == 0) continue;
            var k = Math.Max(1, (int)Math.Round(ratio * rows.Count, MidpointRounding.ToEven));
            var perm = SplitMix64.For(seed, dataset, "ratio", $"class {c}").Permutation(rows.Count);
            for (int j = 0; j < k; j++) picked.Add(rows[perm[j]]);
        }
        return [.. picked.Order()];
    }

    /// <summary>
    /// A deterministic stratified two-way split of all rows: per class round-half-even(fraction × rows) go to the
    /// second part (purpose <paramref name="purpose"/>), the rest to the first. Used to split QNLI's dev set.
    /// </summary>
    public static TrainValidation Split(IReadOnlyList<int> labels, int classes, double secondFraction, ulong seed, string dataset, string purpose)
    {
        if (secondFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(secondFraction), secondFraction, "must be in (0, 1)");
        var second = new List<int>();
        foreach (var (c, rows) in ByClass(labels, classes))
        {
            var k = (int)Math.Round(secondFraction * rows.Count, MidpointRounding.ToEven);
            var perm = SplitMix64.For(seed, dataset, purpose, $"class {c}").Permutation(rows.Count);
            for (int j = 0; j < k; j++) second.Add(rows[perm[j]]);
        }
        var set = second.ToHashSet();
        return new TrainValidation(Enumerable.Range(0, labels.Count).Where(i => !set.Contains(i)).ToArray(), [.. second.Order()]);
    }

    private static IEnumerable<(int Class, List<int> Rows)> ByClass(IReadOnlyList<int> labels, int classes)
    {
        var rows = new List<int>[classes];
        for (int c = 0; c < classes; c++) rows[c] = [];
        for (int i = 0; i < labels.Count; i++)
        {
            if ((uint)labels[i] >= (uint)classes) throw new ArgumentException($"label {labels[i]} at row {i} is out of range for {classes} classes");
            rows[labels[i]].Add(i);
        }
        for (int c = 0; c < classes; c++) yield return (c, rows[c]);
    }
}
