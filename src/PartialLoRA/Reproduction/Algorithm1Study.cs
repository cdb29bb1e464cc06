using System.Diagnostics;
using Microsoft.Data.Analysis;
using PartialLoRA.Importance;
using PartialLoRA.Sparsity;

namespace PartialLoRA.Reproduction;

/// <summary>Sizes of notebook 02 per profile.</summary>
/// <param name="Shots">m of D_t (shots per class).</param>
/// <param name="TargetNames">Linear layers Algorithm 1 runs on, in every block (v_proj in smoke; every block Linear otherwise).</param>
/// <param name="NaiveLayers">How many layers are searched again with each strategy (those whose printed loop is shortest, see <see cref="Algorithm1Study.ShortestLoops"/>).</param>
/// <param name="RunNaive">Whether that comparison runs the printed one-at-a-time loop too (hundreds of passes of D_t per layer) or only counts its evaluations.</param>
public sealed record Algorithm1Setup(int Shots, string[] TargetNames, int NaiveLayers, bool RunNaive)
{
    public static Algorithm1Setup Smoke { get; } = new(2, ["v_proj"], 1, false);
    // Lab runs the printed loop on 6 layers, not all 36: on 2 CPU cores all 36 took 3,915 s (15,050 evaluations) at 9b4786f.
    public static Algorithm1Setup Lab { get; } = new(16, ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"], 6, true);

    public SearchStrategy[] Strategies => RunNaive ? [SearchStrategy.Naive, SearchStrategy.Galloping, SearchStrategy.Binary] : [SearchStrategy.Galloping, SearchStrategy.Binary];
}

/// <summary>One importance measure's pass of Algorithm 1 over all targets.</summary>
public sealed record MeasureDerivation(ImportanceMeasure Measure, PlannerResult Result, TimeSpan Total);

/// <summary>The same layer searched by each strategy: the counts kept and what each search cost.</summary>
public sealed record SearchComparison(string Module, SearchStrategy Strategy, int KeptRows, int KeptCols, int Evaluations, TimeSpan Elapsed);

/// <summary>
/// Notebook 02 (§4.2, Algorithm 1, Eq. 4–6): Algorithm 1 with each importance measure of §4.2.2 (SVD, SNIP, IMP) on
/// the lab vision backbone, the per-layer ratios p_row = |I_row|/m and p_col = |I_col|/n it yields, and its cost:
/// the printed loop removes one index per evaluation of D_t, the library's search (full removal first, then bisection)
/// finds the same crossing in at most 1 + ⌈log₂ size⌉ evaluations (exactly the same answer when accuracy falls
/// monotonically with removals).
/// </summary>
public static class Algorithm1Study
{
    public static readonly ImportanceMeasure[] Measures = [ImportanceMeasure.Svd, ImportanceMeasure.Snip, ImportanceMeasure.Imp];

    /// <summary>Algorithm 1 with each measure (binary search, τ = 0.9); the plans go to the cache for notebooks 13 and 14.</summary>
    public static IReadOnlyList<MeasureDerivation> DeriveAll(LabVisionTask task, IReadOnlyList<string> targets, string cacheFolder,
        IEnumerable<ImportanceMeasure>? measures = null, double threshold = 0.9, int batchSize = 0)
    {
        var list = new List<MeasureDerivation>();
        foreach (var m in measures ?? Measures)
        {
            var clock = Stopwatch.StartNew();
            var result = task.Derive(targets, Options(m, threshold, SearchStrategy.Binary, batchSize), cacheFolder);
            list.Add(new MeasureDerivation(m, result, clock.Elapsed));
        }
        return list;
    }

    public static PlannerOptions Options(ImportanceMeasure measure, double threshold = 0.9, SearchStrategy search = SearchStrategy.Binary, int batchSize = 0) =>
        new() { Measure = measure, Derivation = new DerivationOptions { Threshold = threshold, Search = search, BatchSize = batchSize } };

    /// <summary>
    /// Runs Algorithm 1 on single layers with every search strategy (the printed one-at-a-time loop included), from
    /// the given scores, so the notebook can show they keep the same counts at very different costs.
    /// </summary>
    public static IReadOnlyList<SearchComparison> CompareSearches(LabVisionTask task, MeasureDerivation derivation, IEnumerable<string> modules,
        IReadOnlyList<SearchStrategy> strategies, double threshold = 0.9, int batchSize = 0)
    {
        var scores = derivation.Result.Scores.ToDictionary(s => s.Module);
        var rows = new List<SearchComparison>();
        foreach (var module in modules)
        {
            var target = TargetLayer.Resolve(task.Model, [module]);
            var s = scores.TryGetValue(module, out var v) ? v : throw new ArgumentException($"no {derivation.Measure} scores for layer '{module}'");
            foreach (var strategy in strategies)
            {
                var d = SparsityRatioDerivation.Derive(task.Model, task.FewShot, target, [s],
                    new DerivationOptions { Threshold = threshold, Search = strategy, BatchSize = batchSize });
                var l = d.Layers[0];
                // the baseline pass is shared by every strategy: count only the search's own passes
                rows.Add(new SearchComparison(module, strategy, l.KeptRows, l.KeptCols, d.Evaluations - 1, d.Elapsed));
            }
        }
        return rows;
    }

    /// <summary>The <paramref name="count"/> layers whose printed loop needs the fewest evaluations (rows + columns), in forward order.</summary>
    public static IReadOnlyList<string> ShortestLoops(MeasureDerivation derivation, int count)
    {
        var layers = derivation.Result.Derivation.Layers;
        var picked = layers.OrderBy(l => l.RowSearch.NaiveEvaluations + l.ColSearch.NaiveEvaluations).Take(count).Select(l => l.Module).ToHashSet();
        return layers.Where(l => picked.Contains(l.Module)).Select(l => l.Module).ToList();
    }

    /// <summary>"block 3 · q_proj" for a CLIP path <c>vision_model.encoder.layers.3.self_attn.q_proj</c>.</summary>
    public static string LayerLabel(string module)
    {
        var parts = module.Split('.');
        var i = Array.IndexOf(parts, "layers");
        return i >= 0 && i + 1 < parts.Length ? $"block {parts[i + 1]} · {LayerKind(module)}" : module;
    }

    /// <summary>The layer's name inside its block: "q_proj" for <c>vision_model.encoder.layers.3.self_attn.q_proj</c>.</summary>
    public static string LayerKind(string module) => module[(module.LastIndexOf('.') + 1)..];

    /// <summary>The distinct <see cref="LayerKind"/>s of <paramref name="modules"/> in order of first appearance (a block's forward order).</summary>
    public static IReadOnlyList<string> LayerKinds(IEnumerable<string> modules) => modules.Select(LayerKind).Distinct().ToList();

    /// <summary>Per layer: m, n and p_row, p_col of every measure.</summary>
    public static DataFrame LayerFrame(IReadOnlyList<MeasureDerivation> derivations)
    {
        var first = derivations[0].Result.Plan.Layers;
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("layer", first.Select(l => LayerLabel(l.Module))),
            new StringDataFrameColumn("m × n", first.Select(l => $"{l.Rows} × {l.Cols}")),
        };
        foreach (var d in derivations)
        {
            var byModule = d.Result.Plan.ByModule;
            var name = SparsityPlanJson.Name(d.Measure).ToUpperInvariant();
            columns.Add(new DoubleDataFrameColumn($"p_row {name}", first.Select(l => byModule[l.Module].RowRatio)));
            columns.Add(new DoubleDataFrameColumn($"p_col {name}", first.Select(l => byModule[l.Module].ColRatio)));
        }
        return new DataFrame(columns);
    }

    /// <summary>Per measure: μ, the evaluations Algorithm 1 made against the printed loop's count for the same outcome, and the time.</summary>
    public static DataFrame CostFrame(IReadOnlyList<MeasureDerivation> derivations) => new(
        new StringDataFrameColumn("importance", derivations.Select(d => SparsityPlanJson.Name(d.Measure).ToUpperInvariant())),
        new DoubleDataFrameColumn("μ (few-shot accuracy)", derivations.Select(d => d.Result.Derivation.BaselineAccuracy)),
        new Int32DataFrameColumn("|D_t|", derivations.Select(d => d.Result.Derivation.SampleCount)),
        new Int32DataFrameColumn("layers", derivations.Select(d => d.Result.Derivation.Layers.Count)),
        new DoubleDataFrameColumn("rows+cols kept", derivations.Select(d => KeptShare(d.Result.Plan))),
        new Int32DataFrameColumn("evaluations (bisection)", derivations.Select(d => d.Result.Derivation.Evaluations)),
        new Int32DataFrameColumn("evaluations (printed loop)", derivations.Select(d => d.Result.Derivation.NaiveEvaluations)),
        new DoubleDataFrameColumn("fewer evaluations ×", derivations.Select(d => (double)d.Result.Derivation.NaiveEvaluations / d.Result.Derivation.Evaluations)),
        new DoubleDataFrameColumn("importance (s)", derivations.Select(d => d.Result.ImportanceTime.TotalSeconds)),
        new DoubleDataFrameColumn("Algorithm 1 (s)", derivations.Select(d => d.Result.Derivation.Elapsed.TotalSeconds)));

    public static DataFrame SearchFrame(IReadOnlyList<SearchComparison> rows) => new(
        new StringDataFrameColumn("layer", rows.Select(r => LayerLabel(r.Module))),
        new StringDataFrameColumn("search", rows.Select(r => r.Strategy.ToString().ToLowerInvariant())),
        new Int32DataFrameColumn("rows kept", rows.Select(r => r.KeptRows)),
        new Int32DataFrameColumn("cols kept", rows.Select(r => r.KeptCols)),
        new Int32DataFrameColumn("evaluations", rows.Select(r => r.Evaluations)),
        new DoubleDataFrameColumn("time (s)", rows.Select(r => r.Elapsed.TotalSeconds)));

    /// <summary>The share of all rows and columns of the targets that the plan keeps.</summary>
    public static double KeptShare(SparsityPlan plan) =>
        plan.Layers.Sum(l => (double)l.KeptRows + l.KeptCols) / plan.Layers.Sum(l => (double)l.Rows + l.Cols);

    /// <summary>One layer's row importance under a measure, sorted from most to least important and divided by the largest (for plotting the measures on one axis).</summary>
    public static double[] SortedRowProfile(MeasureDerivation d, string module)
    {
        var s = d.Result.Scores.FirstOrDefault(x => x.Module == module)?.Rows
                ?? throw new ArgumentException($"no {d.Measure} scores for layer '{module}'");
        var max = s.Max();
        return s.OrderDescending().Select(v => max > 0 ? v / max : 0).ToArray();
    }
}
