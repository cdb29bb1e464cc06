using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Training;

namespace PartialLoRA.Reproduction;

/// <summary>
/// App. D, Fig. 11: Targeted-LoRA's masks chosen deterministically (the top-|I| indices) or sampled from
/// softmax(I / T) at several temperatures T (the <c>stochastic</c> method; T → 0 approaches the top-|I| choice,
/// large T a uniform draw, i.e. Partial-LoRA), against LoRA. The paper prints no values for Fig. 11; its finding is
/// that stochastic IMP stays close to LoRA while SVD degrades with randomness.
/// </summary>
public static class AppendixD
{
    public const string PaperFinding = "stochastic IMP close to LoRA; SVD degrades with randomness (CLIP ViT-B/16, Pets / CIFAR-100)";

    public static double[] Temperatures(bool smoke) => smoke ? [0.1, 1.0] : [0.05, 0.1, 0.5, 1.0, 2.0];

    public static string[] Measures(bool smoke) => smoke ? ["imp"] : ["imp", "svd"];

    public static IReadOnlyList<JsonObject> Methods(bool smoke)
    {
        var list = new List<JsonObject> { new() { ["name"] = "lora", ["label"] = "LoRA" } };
        foreach (var m in Measures(smoke))
        {
            list.Add(new() { ["name"] = "targeted-lora", ["importance"] = m, ["label"] = $"deterministic {m.ToUpperInvariant()}" });
            foreach (var t in Temperatures(smoke))
                list.Add(new() { ["name"] = "stochastic", ["importance"] = m, ["temperature"] = t, ["label"] = Label(m, t) });
        }
        return list;
    }

    /// <summary>Fig. 11's runs on CIFAR-10 (the paper's Pets / CIFAR-100 are not offline).</summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed) =>
        ReproductionSweep.Spec("appD", profile, Modality.Vision, seed, [ReproductionSweep.Dataset("cifar10", profile)], Methods(profile == ReproductionProfile.Smoke));

    public static string Label(string measure, double t) => $"stochastic {measure.ToUpperInvariant()} T={t:0.###}";

    /// <summary>Per method: test accuracy (%) mean ± std of the top-k runs, trainable parameters, the paper's finding beside.</summary>
    public static DataFrame Table(SweepResult result)
    {
        var rows = result.Summary;
        return new DataFrame(
            new StringDataFrameColumn("method", rows.Select(r => r.Method)),
            new StringDataFrameColumn("dataset", rows.Select(r => r.Dataset)),
            new Int32DataFrameColumn("runs", rows.Select(r => r.Runs)),
            new DoubleDataFrameColumn("test accuracy (%)", rows.Select(r => Acc(r, a => a.Mean))),
            new DoubleDataFrameColumn("± std", rows.Select(r => Acc(r, a => a.Std))),
            new DoubleDataFrameColumn("trainable params", rows.Select(r => r.TrainableParameters.Mean)),
            new StringDataFrameColumn("paper (App. D)", rows.Select(_ => PaperFinding)));
    }

    /// <summary>Test accuracy (%) against T for one measure's stochastic runs, and the deterministic and LoRA references.</summary>
    public static (double[] T, double[] Accuracy, double Deterministic, double Lora) Curve(SweepResult result, string measure, bool smoke)
    {
        var rows = result.Summary.ToDictionary(r => r.Method);
        double Get(string label) => rows.TryGetValue(label, out var r) ? Acc(r, a => a.Mean) : double.NaN;
        var ts = Temperatures(smoke);
        return (ts, ts.Select(t => Get(Label(measure, t))).ToArray(), Get($"deterministic {measure.ToUpperInvariant()}"), Get("LoRA"));
    }

    private static double Acc(SummaryRow r, Func<MeanStd, double> f) =>
        r.Test.TryGetValue(ClassificationMetrics.Accuracy, out var a) ? 100 * f(a) : double.NaN;
}
