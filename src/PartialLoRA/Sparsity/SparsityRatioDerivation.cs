using System.Diagnostics;
using PartialLoRA.Importance;
using PartialLoRA.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Sparsity;

/// <summary>How Algorithm 1 searches for the removal count at which few-shot accuracy falls below τ·μ.</summary>
public enum SearchStrategy
{
    /// <summary>
    /// Full removal first, then bisection over the count: one evaluation settles a layer whose accuracy survives
    /// removing every index, otherwise 1 + ⌈log₂ size⌉ evaluations. The default.
    /// </summary>
    Binary,

    /// <summary>
    /// Exponential search from the bottom (r = 1, 2, 4, … until a failure, then bisection): about 2·log₂(r*)
    /// evaluations, fewer than <see cref="Binary"/> when a layer loses accuracy after a few removals (r* ≲ √size).
    /// </summary>
    Galloping,

    /// <summary>Algorithm 1 as printed: remove one index at a time. The reference the fast searches are tested against.</summary>
    Naive,
}

/// <summary>
/// One search of Algorithm 1 over the rows (or the columns) of one layer. <c>passes(r)</c> means: with the r least
/// important indices masked, few-shot accuracy is still ≥ τ·μ (the while condition of Algorithm 1).
/// </summary>
/// <param name="Size">m (rows) or n (columns).</param>
/// <param name="FirstFailing">r*: the removal count at which the search saw accuracy fall below τ·μ; null when even removing all indices keeps it at or above.</param>
/// <param name="Evaluations">Passes of D_t made by this search (the baseline μ is counted once per derivation, not here).</param>
public sealed record SearchOutcome(int Size, int? FirstFailing, int Evaluations)
{
    /// <summary>
    /// |I|, the count Algorithm 1 keeps: Size − r* + 1, i.e. the indices that survive the last removal that still
    /// met the threshold; 0 when no removal fails. The printed algorithm returns |I| just after the removal that
    /// failed (Size − r*, one fewer): we return the largest removal that passed, so the returned set is itself one
    /// whose accuracy was measured ≥ τ·μ.
    /// </summary>
    public int Kept => FirstFailing is { } r ? Size - r + 1 : 0;

    /// <summary>Evaluations the one-at-a-time loop needs to reach the same r*: r*, or Size when nothing fails.</summary>
    public int NaiveEvaluations => FirstFailing ?? Size;
}

/// <summary>Options of Algorithm 1.</summary>
public sealed record DerivationOptions
{
    /// <summary>τ: a removal fails when few-shot accuracy falls below τ·μ. The paper uses 0.9.</summary>
    public double Threshold { get; init; } = 0.9;

    public SearchStrategy Search { get; init; } = SearchStrategy.Binary;

    /// <summary>
    /// Samples per forward pass; 0 evaluates D_t in one batch. With several batches an evaluation stops as soon as
    /// its pass/fail answer is certain, which saves work on candidates far from the threshold (same answers).
    /// </summary>
    public int BatchSize { get; init; }

    public void Validate()
    {
        if (!(Threshold > 0 && Threshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "the accuracy threshold τ must be in (0, 1]");
        if (BatchSize < 0)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be 0 (whole set) or positive");
    }
}

/// <summary>Algorithm 1's outcome for one layer: the row search and the column search.</summary>
public sealed record LayerDerivation(string Module, int? Block, SearchOutcome RowSearch, SearchOutcome ColSearch)
{
    public int Rows => RowSearch.Size;
    public int Cols => ColSearch.Size;
    public int KeptRows => RowSearch.Kept;
    public int KeptCols => ColSearch.Kept;
}

/// <summary>Algorithm 1 over every target layer.</summary>
/// <param name="SampleCount">N = |D_t|.</param>
/// <param name="BaselineCorrect">μ·N: correct predictions of the unmasked model.</param>
/// <param name="Evaluations">All passes of D_t: the baseline plus every search's.</param>
/// <param name="SamplesEvaluated">Samples those passes ran through the model (fewer than Evaluations × N when passes stop early, see <see cref="DerivationOptions.BatchSize"/>).</param>
public sealed record DerivationResult(int SampleCount, long BaselineCorrect, double Threshold, IReadOnlyList<LayerDerivation> Layers,
    int Evaluations, long SamplesEvaluated, TimeSpan Elapsed)
{
    /// <summary>μ of Algorithm 1, line 1.</summary>
    public double BaselineAccuracy => (double)BaselineCorrect / SampleCount;

    /// <summary>What the one-at-a-time loop would need for the same outcome (baseline included).</summary>
    public int NaiveEvaluations => 1 + Layers.Sum(l => l.RowSearch.NaiveEvaluations + l.ColSearch.NaiveEvaluations);
}

/// <summary>
/// Algorithm 1 (§4.2.1): for each target layer independently, mask the least important rows of the pretrained W
/// (then, separately, the least important columns) until few-shot accuracy on D_t falls below τ·μ; the surviving
/// counts |I_row|, |I_col| give p_row = |I_row|/m and p_col = |I_col|/n of Eq. 6.
///
/// Monotonicity: the binary and galloping searches assume passes(r) is monotone — once accuracy is below τ·μ,
/// removing more never brings it back. Then they return exactly the naive loop's r*, with at most 1 + ⌈log₂ size⌉
/// (binary) or about 2·log₂(r*) (galloping) instead of r* evaluations. Few-shot accuracy is a step function and
/// can recover by a sample or two as r grows; then a fast search returns some r with passes(r−1) and not
/// passes(r) — a crossing of the threshold, possibly a later one than the naive loop's first — so it may keep
/// fewer indices. Either way the kept set of size Size − r + 1 is one whose accuracy was measured ≥ τ·μ (or is
/// the unmasked layer).
///
/// Masking writes W ⊙ U into the layer's weight under no_grad (a copy of that one weight is kept) and restores
/// the exact original values afterwards, also on error.
/// </summary>
public static class SparsityRatioDerivation
{
    /// <summary>Algorithm 1's loop as printed: try r = 1, 2, … until passes(r) is false. The specification.</summary>
    public static SearchOutcome NaiveSearch(int size, Func<int, bool> passes)
    {
        CheckSize(size);
        for (var r = 1; r <= size; r++)
            if (!passes(r)) return new SearchOutcome(size, r, r);
        return new SearchOutcome(size, null, size);
    }

    /// <summary>
    /// The crossing r* of passes(r), with passes(0) known true (the unmasked model): passes(size) first — layers whose
    /// every index can go (most layers of a residual network whose accuracy no single matrix carries) cost one
    /// evaluation instead of ⌈log₂(size+1)⌉ — then bisection below size.
    /// </summary>
    public static SearchOutcome BinarySearch(int size, Func<int, bool> passes)
    {
        CheckSize(size);
        if (passes(size)) return new SearchOutcome(size, null, 1);
        var (hi, evaluations) = Bisect(0, size, passes);
        return new SearchOutcome(size, hi, 1 + evaluations);
    }

    // Invariant: passes(lo) holds (lo = 0 is the unmasked model) and passes(hi) does not (hi = size + 1 stands
    // for "fails beyond the end"). Returns the hi where they meet.
    private static (int Hi, int Evaluations) Bisect(int lo, int hi, Func<int, bool> passes)
    {
        var evaluations = 0;
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            evaluations++;
            if (passes(mid)) lo = mid; else hi = mid;
        }
        return (hi, evaluations);
    }

    /// <summary>Doubling r from 1 until passes(r) fails (or r reaches size), then bisection inside the last doubling.</summary>
    public static SearchOutcome GallopingSearch(int size, Func<int, bool> passes)
    {
        CheckSize(size);
        int lo = 0, hi = size + 1, evaluations = 0;
        for (var r = 1; ; r = Math.Min(2 * r, size))
        {
            evaluations++;
            if (!passes(r))
            {
                hi = r;
                break;
            }
            lo = r;
            if (r == size) break;
        }
        var rest = Bisect(lo, hi, passes);
        return new SearchOutcome(size, rest.Hi <= size ? rest.Hi : null, evaluations + rest.Evaluations);
    }

    public static SearchOutcome Search(SearchStrategy strategy, int size, Func<int, bool> passes) => strategy switch
    {
        SearchStrategy.Binary => BinarySearch(size, passes),
        SearchStrategy.Galloping => GallopingSearch(size, passes),
        SearchStrategy.Naive => NaiveSearch(size, passes),
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "unknown search strategy"),
    };

    /// <summary>
    /// Algorithm 1 for every target, with <paramref name="scores"/> giving the removal order (one entry per target,
    /// same module). The model runs in eval mode (modes restored afterwards). Layers of an
    /// <see cref="IBlockwiseClassifier"/> are evaluated from the cached hidden state entering their block; other
    /// layers, and every layer of a plain <see cref="IClassifier"/>, through the full <c>Logits</c>.
    /// </summary>
    public static DerivationResult Derive(IClassifier model, FewShotSet data, IReadOnlyList<TargetLayer> targets,
        IReadOnlyList<ImportanceScores> scores, DerivationOptions? options = null)
    {
        options ??= new DerivationOptions();
        options.Validate();
        CheckScores(targets, scores);
        data.CheckLabels(model.NumClasses);
        var clock = Stopwatch.StartNew();
        var blockwise = model as IBlockwiseClassifier;
        var blocks = targets.Select(t => BlockOf(blockwise, t.Path)).ToArray();

        using var mode = new EvalModeScope(model.Module);
        using var noGrad = torch.no_grad();
        using var evaluator = new FewShotEvaluator(model, data, options.BatchSize, targets[0].Weight.device);
        var baseline = evaluator.BaselineCorrect;
        if (baseline == 0)
            throw new InvalidOperationException(
                $"the pretrained model's few-shot accuracy μ is 0 on the {data.Count} samples: Algorithm 1 measures drops relative to μ, " +
                "so there is nothing to preserve (check the task head and that the labels match its classes)");
        var needed = options.Threshold * baseline;

        // Blocks in order so the cached hidden state only moves forward; layers outside the blocks last.
        var order = Enumerable.Range(0, targets.Count).OrderBy(i => blocks[i] ?? int.MaxValue).ToArray();
        var results = new LayerDerivation[targets.Count];
        foreach (var i in order)
        {
            var block = evaluator.CanCache(blocks[i]) ? blocks[i] : null;
            if (block is { } b) evaluator.Prepare(b);
            var target = targets[i];
            var rows = SearchLayer(target, 0, scores[i].Rows, options.Search, () => evaluator.Passes(block, needed));
            var cols = SearchLayer(target, 1, scores[i].Cols, options.Search, () => evaluator.Passes(block, needed));
            results[i] = new LayerDerivation(target.Path, blocks[i], rows, cols);
        }
        return new DerivationResult(data.Count, baseline, options.Threshold, results, evaluator.Evaluations, evaluator.SamplesEvaluated, clock.Elapsed);
    }

    // One search over dim 0 (rows) or 1 (columns) of the layer's weight: passes(r) is evaluated with the r least
    // important indices zeroed.
    private static SearchOutcome SearchLayer(TargetLayer target, int dim, double[] importance, SearchStrategy strategy, Func<bool> accuracyHolds)
    {
        var weight = target.Weight;
        using var original = weight.clone(); // under no_grad: a plain copy
        using var removalOrder = torch.tensor(ImportanceScores.AscendingOrder(importance).Select(i => (long)i).ToArray(), device: weight.device);
        try
        {
            return Search(strategy, importance.Length, r =>
            {
                using var scope = torch.NewDisposeScope();
                weight.copy_(original);
                if (r > 0) weight.index_fill_(dim, removalOrder.narrow(0, 0, r), 0.0);
                return accuracyHolds();
            });
        }
        finally
        {
            weight.copy_(original);
        }
    }

    private static int? BlockOf(IBlockwiseClassifier? model, string path)
    {
        if (model == null) return null;
        var block = model.BlockIndexOf(path);
        if (block is { } b && (b < 0 || b >= model.BlockCount))
            throw new InvalidOperationException($"layer '{path}': BlockIndexOf returned {b}, but the model has blocks 0…{model.BlockCount - 1}");
        return block;
    }

    private static void CheckScores(IReadOnlyList<TargetLayer> targets, IReadOnlyList<ImportanceScores> scores)
    {
        if (targets.Count == 0) throw new ArgumentException("no target layers given");
        if (scores.Count != targets.Count)
            throw new ArgumentException($"{scores.Count} importance entries for {targets.Count} target layers");
        for (var i = 0; i < targets.Count; i++)
        {
            var (t, s) = (targets[i], scores[i]);
            if (s.Module != t.Path)
                throw new ArgumentException($"importance entry {i} is for '{s.Module}', but target {i} is '{t.Path}'");
            if (s.Rows.Length != t.Rows || s.Cols.Length != t.Cols)
                throw new ArgumentException(
                    $"importance of '{t.Path}' has {s.Rows.Length}×{s.Cols.Length} scores, but the layer's weight is {t.Rows}×{t.Cols}");
        }
    }

    private static void CheckSize(int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "a search needs at least one index");
    }
}
