using System.Globalization;
using System.Text.RegularExpressions;
using PartialLoRA.Adapters;

namespace PartialLoRA.Benchmarks;

/// <summary>What a benchmarked method trains.</summary>
public enum MethodFamily { Lora, PartialLora, Dora, Vera, AdaLora, Full, Eval }

/// <summary>
/// One row of <c>bench finetune</c>, by name: <c>lora</c>, <c>partial-&lt;S&gt;-compact</c> / <c>partial-&lt;S&gt;-dense</c>
/// (Partial-LoRA at S % sparsity, Eq. 6 masks with p_row = p_col = 1 − S/100 on every target, so S % of LoRA's
/// trainable parameters are removed; compact or dense-masked storage), <c>dora</c>, <c>vera</c>, <c>adalora</c>,
/// <c>full</c> (every weight trained) and <c>eval</c> (inference throughput of the base model).
/// </summary>
public sealed record FinetuneMethod(string Name, MethodFamily Family, double Sparsity = 0, MaskStorage Storage = MaskStorage.Dense)
{
    /// <summary>The issue's methods, in table order.</summary>
    public static readonly IReadOnlyList<string> DefaultNames =
    [
        "lora", "partial-60-compact", "partial-60-dense", "partial-80-compact", "partial-80-dense", "dora", "vera", "adalora", "full", "eval",
    ];

    private static readonly Regex PartialName = new(@"^partial-(\d{1,2})-(compact|dense)$", RegexOptions.Compiled);

    public bool Trains => Family != MethodFamily.Eval;

    public bool UsesAdapters => Family is not (MethodFamily.Full or MethodFamily.Eval);

    public static FinetuneMethod Parse(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        var m = PartialName.Match(n);
        if (m.Success)
        {
            var pct = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (pct is < 1 or > 99) throw new ArgumentException($"method '{name}': the sparsity must be 1…99 %");
            return new FinetuneMethod(n, MethodFamily.PartialLora, pct / 100.0, m.Groups[2].Value == "compact" ? MaskStorage.Compact : MaskStorage.Dense);
        }
        return n switch
        {
            "lora" => new FinetuneMethod(n, MethodFamily.Lora),
            "dora" => new FinetuneMethod(n, MethodFamily.Dora),
            "vera" => new FinetuneMethod(n, MethodFamily.Vera),
            "adalora" => new FinetuneMethod(n, MethodFamily.AdaLora),
            "full" => new FinetuneMethod(n, MethodFamily.Full),
            "eval" => new FinetuneMethod(n, MethodFamily.Eval),
            _ => throw new ArgumentException($"unknown method '{name}'; expected lora, partial-<S>-compact, partial-<S>-dense (S = sparsity in %), dora, vera, adalora, full or eval"),
        };
    }

    /// <summary>Parses a comma-separated list; duplicates are an error.</summary>
    public static IReadOnlyList<FinetuneMethod> ParseList(string list)
    {
        var methods = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();
        if (methods.Count == 0) throw new ArgumentException("no method given");
        var twice = methods.GroupBy(x => x.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice != null) throw new ArgumentException($"method '{twice.Key}' is listed twice");
        return methods;
    }
}
