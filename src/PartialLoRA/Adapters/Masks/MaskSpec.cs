using System.Text.RegularExpressions;
using PartialLoRA.Sparsity;
using TorchSharp;

namespace PartialLoRA.Adapters.Masks;

/// <summary>
/// How the masks of a masked adapter are made. Masks are drawn once, when the adapter is created, and stay fixed.
/// Row/column masks (Eq. 6) come from Algorithm 1's per-module <see cref="LayerSparsity"/> plan; element masks
/// from a per-module density.
/// </summary>
public abstract record MaskSpec
{
    /// <summary>The name written to <c>adapter_config.json</c> (<c>partial_lora.kind</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>Checks the spec against the modules the config targets (path, m, n) before anything is built.</summary>
    internal virtual void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules) { }
}

/// <summary>Masks on the rows of B and the columns of A (Eq. 6).</summary>
public abstract record RowColMaskSpec : MaskSpec
{
    /// <summary>The masks of module <paramref name="path"/> whose weight is <paramref name="rows"/>×<paramref name="cols"/> (out×in).</summary>
    public abstract RowColMask Create(string path, int rows, int cols);
}

/// <summary>Masks on individual entries of A and B.</summary>
public abstract record ElementMaskSpec : MaskSpec
{
    /// <summary>M_A (r×n) and M_B (m×r) of module <paramref name="path"/>.</summary>
    public abstract ElementMask Create(string path, int rows, int cols, int rank);
}

/// <summary>A row/column mask spec driven by Algorithm 1's plan: one <see cref="LayerSparsity"/> per targeted module.</summary>
public abstract record PlannedMaskSpec(IReadOnlyDictionary<string, LayerSparsity> Plan) : RowColMaskSpec
{
    internal override void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules)
    {
        var targeted = modules.Select(m => m.Path).ToHashSet();
        var extra = Plan.Keys.Where(k => !targeted.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new ArgumentException($"{Kind} masks: the sparsity plan names module(s) the config does not target: {string.Join(", ", extra)}");
        foreach (var (path, rows, cols) in modules)
        {
            if (!Plan.TryGetValue(path, out var s))
                throw new ArgumentException($"{Kind} masks: the sparsity plan has no entry for targeted module '{path}'");
            if (s.Rows != rows || s.Cols != cols)
                throw new ArgumentException($"{Kind} masks: plan for '{path}' is {s.Rows}×{s.Cols} but the module's weight is {rows}×{cols} (out×in)");
            if (s.KeptRows < 0 || s.KeptRows > rows || s.KeptCols < 0 || s.KeptCols > cols)
                throw new ArgumentException($"{Kind} masks: plan for '{path}' keeps {s.KeptRows} of {rows} rows and {s.KeptCols} of {cols} columns; counts must lie in [0, size]");
        }
    }

    protected LayerSparsity Entry(string path) => Plan[path];
}

/// <summary>
/// Partial-LoRA (Eq. 6): u_row ~ Bernoulli(p_row), u_col ~ Bernoulli(p_col) with p = |I|/size from Algorithm 1,
/// drawn per module from a stream derived from (<paramref name="Seed"/>, module path).
/// </summary>
public sealed record PartialMasks(IReadOnlyDictionary<string, LayerSparsity> Plan, long Seed) : PlannedMaskSpec(Plan)
{
    public override string Kind => "partial";

    public override RowColMask Create(string path, int rows, int cols)
    {
        var s = Entry(path);
        using var g = LayerSeeds.Generator(Seed, path, "partial-mask");
        using var ur = torch.rand(rows, generator: g, dtype: torch.float64);
        using var uc = torch.rand(cols, generator: g, dtype: torch.float64);
        return new RowColMask(ur.data<double>().Select(u => u < s.RowRatio).ToArray(),
            uc.data<double>().Select(u => u < s.ColRatio).ToArray());
    }
}

/// <summary>Targeted-LoRA (§4.2.2, Table 2): exactly the rows and columns Algorithm 1 kept (the plan's index sets).</summary>
public sealed record TargetedMasks(IReadOnlyDictionary<string, LayerSparsity> Plan) : PlannedMaskSpec(Plan)
{
    public override string Kind => "targeted";

    internal override void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules)
    {
        base.Check(modules);
        foreach (var (path, _, _) in modules) Indexed(Kind, path, Plan[path]);
    }

    internal static RowColMask Indexed(string kind, string path, LayerSparsity s)
    {
        if (s.RowIndices == null || s.ColIndices == null)
            throw new ArgumentException($"{kind} masks: the plan for '{path}' has no kept index sets (LayerSparsity.RowIndices/ColIndices); Targeted and Inverted masks need them");
        if (s.RowIndices.Length != s.KeptRows || s.ColIndices.Length != s.KeptCols)
            throw new ArgumentException($"{kind} masks: the plan for '{path}' lists {s.RowIndices.Length} rows and {s.ColIndices.Length} columns but counts {s.KeptRows} and {s.KeptCols}");
        return RowColMask.FromIndices(s.Rows, s.Cols, s.RowIndices, s.ColIndices, path);
    }

    public override RowColMask Create(string path, int rows, int cols) => Indexed(Kind, path, Entry(path));
}

/// <summary>The Inverted ablation (Table 2): the complement of the Targeted masks.</summary>
public sealed record InvertedMasks(IReadOnlyDictionary<string, LayerSparsity> Plan) : PlannedMaskSpec(Plan)
{
    public override string Kind => "inverted";

    internal override void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules)
    {
        base.Check(modules);
        foreach (var (path, _, _) in modules) TargetedMasks.Indexed(Kind, path, Plan[path]);
    }

    public override RowColMask Create(string path, int rows, int cols) => TargetedMasks.Indexed(Kind, path, Entry(path)).Inverted();
}

/// <summary>Row and column importance scores of one weight (e.g. I_SVD of Eq. 5 for rows, and for the columns of Wᵀ).</summary>
public sealed record ImportanceScores(float[] Rows, float[] Cols);

/// <summary>
/// The stochastic middle ground of App. D: importance scores pass through a softmax at temperature T and |I_row|
/// rows (|I_col| columns) are sampled from it without replacement (Gumbel top-k, seeded per module).
/// </summary>
public sealed record SampledMasks(
    IReadOnlyDictionary<string, LayerSparsity> Plan,
    IReadOnlyDictionary<string, ImportanceScores> Importance,
    double Temperature,
    long Seed) : PlannedMaskSpec(Plan)
{
    public override string Kind => "sampled";

    internal override void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules)
    {
        base.Check(modules);
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentException($"sampled masks: temperature must be a positive finite number, got {Temperature}");
        foreach (var (path, rows, cols) in modules)
        {
            if (!Importance.TryGetValue(path, out var imp))
                throw new ArgumentException($"sampled masks: no importance scores for module '{path}'");
            if (imp.Rows.Length != rows || imp.Cols.Length != cols)
                throw new ArgumentException($"sampled masks: importance scores for '{path}' have {imp.Rows.Length} rows and {imp.Cols.Length} columns, expected {rows} and {cols}");
        }
    }

    public override RowColMask Create(string path, int rows, int cols)
    {
        var s = Entry(path);
        var imp = Importance[path];
        using var g = LayerSeeds.Generator(Seed, path, "sampled-mask");
        var keptRows = GumbelTopK(imp.Rows, s.KeptRows, Temperature, g);
        var keptCols = GumbelTopK(imp.Cols, s.KeptCols, Temperature, g);
        return RowColMask.FromIndices(rows, cols, keptRows, keptCols, path);
    }

    // Adding Gumbel noise to log-softmax(scores/T) and keeping the k largest samples k items without replacement.
    private static int[] GumbelTopK(float[] scores, int k, double temperature, torch.Generator g)
    {
        using var u = torch.rand(scores.Length, generator: g, dtype: torch.float64);
        var uniforms = u.data<double>().ToArray();
        var max = scores.Length == 0 ? 0 : scores.Max();
        var logZ = Math.Log(scores.Sum(x => Math.Exp((x - max) / temperature)));
        var keys = new double[scores.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            var logP = (scores[i] - max) / temperature - logZ;
            var gumbel = -Math.Log(-Math.Log(Math.Clamp(uniforms[i], 1e-300, 1 - 1e-16)));
            keys[i] = logP + gumbel;
        }
        return Enumerable.Range(0, scores.Length).OrderByDescending(i => keys[i]).ThenBy(i => i).Take(k).ToArray();
    }
}

/// <summary>
/// Element-wise Bernoulli masks on A and B with a per-module keep probability (density): the Balanced and Pyramidal
/// random-pruning sweeps of §5.3 / Fig. 5.
/// </summary>
public sealed record ElementMasks(Func<string, double> Density, long Seed, string Schedule) : ElementMaskSpec
{
    public override string Kind => Schedule;

    /// <summary>Balanced (Frankle &amp; Carbin 2019): every module keeps the same fraction.</summary>
    public static ElementMasks Balanced(double density, long seed) => new(_ => density, seed, "balanced");

    /// <summary>
    /// Pyramidal (Liu et al. 2022): module at depth l (1 = first block) keeps p^l. By default the depth is the first
    /// integer in the module path plus one (<c>encoder.layers.3.mlp.fc1</c> → 4).
    /// </summary>
    public static ElementMasks Pyramidal(double p, long seed, Func<string, int>? depthOf = null) =>
        new(path => Math.Pow(p, (depthOf ?? DepthFromPath)(path)), seed, "pyramidal");

    public static int DepthFromPath(string path)
    {
        var m = Regex.Match(path, @"(?:^|\.)(\d+)(?:\.|$)");
        if (!m.Success) throw new ArgumentException($"pyramidal masks: module path '{path}' has no block index; pass depthOf");
        return int.Parse(m.Groups[1].Value) + 1;
    }

    internal override void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules)
    {
        foreach (var (path, _, _) in modules)
        {
            var d = Density(path);
            if (!(d >= 0 && d <= 1)) throw new ArgumentException($"{Kind} masks: density {d} for module '{path}' is outside [0, 1]");
        }
    }

    public override ElementMask Create(string path, int rows, int cols, int rank)
    {
        var d = Density(path);
        using var g = LayerSeeds.Generator(Seed, path, "element-mask");
        using var ua = torch.rand(rank * cols, generator: g, dtype: torch.float64);
        using var ub = torch.rand(rows * rank, generator: g, dtype: torch.float64);
        return new ElementMask(rows, cols, rank, ua.data<double>().Select(u => u < d).ToArray(), ub.data<double>().Select(u => u < d).ToArray());
    }
}

/// <summary>Row/column masks read back from a saved adapter.</summary>
internal sealed record StoredRowColMasks(IReadOnlyDictionary<string, RowColMask> Masks, string StoredKind) : RowColMaskSpec
{
    public override string Kind => StoredKind;

    internal override void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules)
    {
        foreach (var (path, rows, cols) in modules)
        {
            if (!Masks.TryGetValue(path, out var m)) throw new InvalidDataException($"saved masks: none for module '{path}'");
            if (m.Rows != rows || m.Cols != cols)
                throw new InvalidDataException($"saved masks for '{path}' are {m.Rows}×{m.Cols} but the module's weight is {rows}×{cols}");
        }
    }

    public override RowColMask Create(string path, int rows, int cols) => Masks[path];
}

/// <summary>Element masks read back from a saved adapter, or set by LoRPA's pruning.</summary>
internal sealed record StoredElementMasks(IReadOnlyDictionary<string, ElementMask> Masks, string StoredKind) : ElementMaskSpec
{
    public override string Kind => StoredKind;

    internal override void Check(IReadOnlyList<(string Path, int Rows, int Cols)> modules)
    {
        foreach (var (path, rows, cols) in modules)
        {
            if (!Masks.TryGetValue(path, out var m)) throw new InvalidDataException($"saved masks: none for module '{path}'");
            if (m.Rows != rows || m.Cols != cols)
                throw new InvalidDataException($"saved element masks for '{path}' are for a {m.Rows}×{m.Cols} weight but the module's weight is {rows}×{cols}");
        }
    }

    public override ElementMask Create(string path, int rows, int cols, int rank)
    {
        var m = Masks[path];
        if (m.Rank != rank) throw new InvalidDataException($"saved element masks for '{path}' have rank {m.Rank}, the adapter has r = {rank}");
        return m;
    }
}
